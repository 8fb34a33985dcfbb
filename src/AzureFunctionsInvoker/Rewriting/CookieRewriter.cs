using System.Text;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// Gives a <c>Set-Cookie</c> of the function to the app's host and mount: a <c>Domain</c> attribute naming the function's
/// host or a parent domain of it is removed (so the cookie belongs to the host the caller addressed), and a <c>Path</c>
/// on the function's route is mapped onto the mount. Every other attribute, and the order of all, is left as it was.
/// </summary>
internal static class CookieRewriter
{
    /// <summary>The cookie as the caller should get it; <see langword="null"/> when nothing in it changes.</summary>
    public static string? Rewrite(string setCookie, in RewriteScope scope)
    {
        StringBuilder? rewritten = null;
        var value = setCookie.AsSpan();
        var kept = 0;

        // The first part is the cookie's name and value, never an attribute.
        var start = value.IndexOf(';');
        while (start >= 0)
        {
            var next = value[(start + 1)..].IndexOf(';');
            var end = next < 0 ? value.Length : start + 1 + next;
            var attribute = value[(start + 1)..end];
            var equals = attribute.IndexOf('=');
            var name = (equals < 0 ? attribute : attribute[..equals]).Trim();
            var attributeValue = equals < 0 ? ReadOnlySpan<char>.Empty : attribute[(equals + 1)..];

            string? replacement = null;
            var drop = false;
            if (name.Equals("Domain", StringComparison.OrdinalIgnoreCase))
            {
                drop = scope.IsHostOrParent(attributeValue);
            }
            else if (name.Equals("Path", StringComparison.OrdinalIgnoreCase)
                && scope.TryGetBelowRoute(attributeValue.Trim(), out var rest))
            {
                var mount = scope.MountPath;
                replacement = string.Concat(" Path=", mount, rest.IsEmpty && mount.Length == 0 ? "/" : rest);
            }

            if (drop || replacement is not null)
            {
                rewritten ??= new StringBuilder(setCookie.Length);
                rewritten.Append(value[kept..start]);
                if (replacement is not null)
                {
                    rewritten.Append(';').Append(replacement);
                }

                kept = end;
            }

            start = next < 0 ? -1 : end;
        }

        return rewritten?.Append(value[kept..]).ToString();
    }
}
