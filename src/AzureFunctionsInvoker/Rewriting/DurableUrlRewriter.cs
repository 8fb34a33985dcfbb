namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// Turns a Durable Task management URL on the origin the request went to
/// (<c>{origin}/runtime/webhooks/durabletask/instances/{id}[/{operation}]?taskHub=...&amp;connection=...&amp;code=...</c>)
/// into a link through the mount: <c>{caller's mount}/{DurableLinksPath}/{token}[/{operation}][?{caller parameters}]</c>.
/// The token hides the origin, the instance and the parameters the caller has no business with; the operation and
/// the parameters Durable documents for callers stay readable.
/// </summary>
internal static class DurableUrlRewriter
{
    /// <summary>The link for <paramref name="value"/>; <see langword="null"/> when it is not a management URL on the origin.</summary>
    public static string? Rewrite(string value, in RewriteScope scope)
    {
        if (!TrySplit(value, scope.Target, out var path, out var tail))
        {
            return null;
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
        var query = fragmentStart < 0 ? tail : tail[..fragmentStart];
        var fragment = fragmentStart < 0 ? ReadOnlySpan<char>.Empty : tail[fragmentStart..];
        var (visible, hidden) = CallerParameters.Split(query.TrimStart('?'));

        var token = scope.Mount.Links.Protect(
            new DurableLink(DurableLink.OriginOf(scope.Target), resource.ToString(), hidden),
            scope.Options.DurableLinksLifetime);

        // A link is per caller and expires, and the instance it names changes: no answer that holds one is cached.
        UncachedResponse.Mark(scope.Caller.HttpContext);
        return string.Concat(
            scope.MountAddress, "/", scope.Options.DurableLinksPath, "/", token, operation,
            visible.Length == 0 ? string.Empty : "?" + visible,
            fragment.ToString());
    }

    /// <summary>Whether <paramref name="value"/> is a management URL on the origin of <paramref name="target"/>.</summary>
    public static bool IsManagementUrl(string value, Uri target) => TrySplit(value, target, out _, out _);

    private static bool TrySplit(string value, Uri target, out ReadOnlySpan<char> path, out ReadOnlySpan<char> tail) =>
        OriginUrl.TrySplit(value, target, pathAbsolute: false, out _, out path, out tail)
        && path.StartsWith(DurableLink.WebhookPath, StringComparison.OrdinalIgnoreCase)
        && path.Length > DurableLink.WebhookPath.Length;
}
