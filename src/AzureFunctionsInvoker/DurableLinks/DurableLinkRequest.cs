using System.Buffers;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Reads a caller's request to a Durable link, <c>{mount}/{DurableLinksPath}/{token}[/{operation}]</c>, back into the
/// management URL it stands for: the origin, instance and hidden parameters from the token, the operation from the
/// path (one of <see cref="DurableOperation"/>'s, and only on an instance), and the caller's own parameters that
/// <see cref="CallerParameters"/> allows, after the hidden ones.
/// </summary>
internal static class DurableLinkRequest
{
    private static readonly SearchValues<char> s_base64Url = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>Whether <paramref name="rest"/>, the path below the mount, is under <c>/{linksPath}/</c>: the proxy answers it, never the function.</summary>
    public static bool IsLink(ReadOnlySpan<char> rest, string linksPath) =>
        linksPath.Length > 0
        && rest.Length > linksPath.Length + 1
        && rest[0] == '/'
        && rest.Slice(1, linksPath.Length).Equals(linksPath, StringComparison.OrdinalIgnoreCase)
        && rest[linksPath.Length + 1] == '/';

    /// <summary>
    /// The path and query the link request <paramref name="rest"/> stands for, on the origin its <paramref name="link"/>
    /// names (which the caller must check is still the function's); <see langword="null"/> when the token does not read
    /// as one of <paramref name="protector"/>'s (within today's <paramref name="lifetime"/>), or the path after it is no
    /// operation of its instance.
    /// </summary>
    public static string? Resolve(ReadOnlySpan<char> rest, string query, string linksPath, DurableLinkProtector protector, TimeSpan lifetime, out DurableLink? link)
    {
        var afterPath = rest[(linksPath.Length + 2)..];
        var tokenEnd = afterPath.IndexOf('/');
        var token = tokenEnd < 0 ? afterPath : afterPath[..tokenEnd];
        if (token.IsEmpty || token.ContainsAnyExcept(s_base64Url) || !protector.TryUnprotect(token.ToString(), lifetime, out link))
        {
            link = null;
            return null;
        }

        var operation = string.Empty;
        if (tokenEnd >= 0)
        {
            if (!link!.IsInstance || !DurableOperation.TryParse(afterPath[(tokenEnd + 1)..], out var canonical))
            {
                link = null;
                return null;
            }

            operation = "/" + canonical;
        }

        var callerQuery = CallerParameters.Filter(query);
        var separator = link!.HiddenQuery.Length > 0 && callerQuery.Length > 0 ? "&" : string.Empty;
        var fullQuery = link.HiddenQuery.Length + callerQuery.Length > 0 ? "?" : string.Empty;
        return string.Concat(DurableLink.WebhookPath, link.Resource, operation, fullQuery, link.HiddenQuery, separator, callerQuery);
    }
}
