using System.Buffers;
using System.Text;
using AzureFunctionsInvoker.Rewriting;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Turns a Durable Task management URL on the origin the request went to
/// (<c>{origin}/runtime/webhooks/durabletask/instances/{id}[/{operation}]?taskHub=...&amp;connection=...&amp;code=...</c>)
/// into a link through the mount: <c>{caller's mount}/{DurableLinksPath}/{token}[/{operation}][?{caller parameters}]</c>.
/// The token hides the origin, the instance and the parameters the caller has no business with; the operation and
/// the parameters Durable documents for callers stay readable.
/// </summary>
internal static class DurableUrlRewriter
{
    // A query this long or shorter is split on the stack.
    private const int StackQuery = 512;

    /// <summary>The link for <paramref name="value"/>, its token made by <paramref name="links"/>; <see langword="null"/> when it is not a management URL on the origin.</summary>
    public static string? Rewrite(string value, in RewriteScope scope, DurableLinkProtector links)
    {
        var link = new ArrayBufferWriter<byte>();
        return TryWrite(value, DurableLinkScope.Of(scope, links), link) ? Encoding.UTF8.GetString(link.WrittenSpan) : null;
    }

    /// <summary>
    /// Writes the link for <paramref name="value"/> to <paramref name="output"/> as UTF-8, and says whether it did:
    /// nothing is written when it is not a management URL on the origin.
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<char> value, DurableLinkScope scope, IBufferWriter<byte> output)
    {
        if (!TrySplit(value, scope.FunctionUrl, scope.Authority, out var path, out var tail))
        {
            return false;
        }

        var below = path[DurableLink.WebhookPath.Length..];
        var resource = below;
        var operation = string.Empty;

        // instances/{id}/{operation}: the operation stays in the link's path, readable; anything else is hidden whole.
        var idEnd = below.StartsWith("instances/", StringComparison.OrdinalIgnoreCase) ? below["instances/".Length..].IndexOf('/') : -1;
        if (idEnd > 0 && DurableOperation.TryParse(below[("instances/".Length + idEnd + 1)..], out var canonical))
        {
            resource = below[..("instances/".Length + idEnd)];
            operation = "/" + canonical;
        }

        var fragmentStart = tail.IndexOf('#');
        var query = (fragmentStart < 0 ? tail : tail[..fragmentStart]).TrimStart('?');
        var fragment = fragmentStart < 0 ? ReadOnlySpan<char>.Empty : tail[fragmentStart..];
        char[]? rented = null;
        var parts = query.Length <= StackQuery ? stackalloc char[2 * query.Length] : (rented = ArrayPool<char>.Shared.Rent(2 * query.Length));
        try
        {
            var (visible, hidden) = CallerParameters.Split(query, parts[..query.Length], parts.Slice(query.Length, query.Length));
            output.Write(scope.Prefix);
            scope.Protect(resource, parts.Slice(query.Length, hidden), output);
            if (operation.Length > 0)
            {
                Encoding.UTF8.GetBytes(operation, output);
            }

            if (visible > 0)
            {
                Encoding.UTF8.GetBytes("?", output);
                Encoding.UTF8.GetBytes(parts[..visible], output);
            }

            if (!fragment.IsEmpty)
            {
                Encoding.UTF8.GetBytes(fragment, output);
            }
        }
        finally
        {
            if (rented is not null)
            {
                // Cleared: the hidden parameters (the system key) were split into it.
                ArrayPool<char>.Shared.Return(rented, clearArray: true);
            }
        }

        scope.MarkUncached();
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is a management URL on the origin of <paramref name="url"/>.</summary>
    public static bool IsManagementUrl(string value, Uri url) => TrySplit(value, url, url.Authority, out _, out _);

    private static bool TrySplit(ReadOnlySpan<char> value, Uri url, string authority, out ReadOnlySpan<char> path, out ReadOnlySpan<char> tail) =>
        RewriteScope.TrySplit(value, url, authority, pathAbsolute: false, out _, out path, out tail)
        && path.StartsWith(DurableLink.WebhookPath, StringComparison.OrdinalIgnoreCase)
        && path.Length > DurableLink.WebhookPath.Length;
}
