namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// Reads a URL a function handed back: whether it points at the origin the request went to, and its path and the rest
/// (query and fragment) exactly as written, percent-encoding included.
/// </summary>
internal static class OriginUrl
{
    /// <summary>
    /// Splits <paramref name="value"/> when it is an absolute URL on <paramref name="origin"/>'s scheme, host and port
    /// (a default port written or not; no user information), or, with <paramref name="pathAbsolute"/>, a path-absolute
    /// reference (<c>/api/hello</c>, not <c>//host/...</c>). <paramref name="isAbsolute"/> says which it was.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<char> value, Uri origin, bool pathAbsolute, out bool isAbsolute, out ReadOnlySpan<char> path, out ReadOnlySpan<char> tail) =>
        TrySplit(value, origin, origin.Authority, pathAbsolute, out isAbsolute, out path, out tail);

    /// <summary>
    /// <see cref="TrySplit(ReadOnlySpan{char}, Uri, bool, out bool, out ReadOnlySpan{char}, out ReadOnlySpan{char})"/> with
    /// <paramref name="originAuthority"/>, <paramref name="origin"/>'s <see cref="Uri.Authority"/> computed once (each read of it makes a string) for the many
    /// URLs of one body.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<char> value, Uri origin, string originAuthority, bool pathAbsolute, out bool isAbsolute, out ReadOnlySpan<char> path, out ReadOnlySpan<char> tail)
    {
        path = tail = default;
        isAbsolute = false;
        var span = value;
        int pathStart;
        if (span.Length > 0 && span[0] == '/')
        {
            if (!pathAbsolute || (span.Length > 1 && span[1] == '/'))
            {
                return false;
            }

            pathStart = 0;
        }
        else
        {
            var schemeEnd = span.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd <= 0 || !span[..schemeEnd].Equals(origin.Scheme, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var authorityStart = schemeEnd + 3;
            var authorityLength = span[authorityStart..].IndexOfAny('/', '?', '#');
            pathStart = authorityLength < 0 ? span.Length : authorityStart + authorityLength;
            var authority = span[authorityStart..pathStart];
            if (authority.IsEmpty || authority.Contains('@')
                || !(authority.Equals(originAuthority, StringComparison.OrdinalIgnoreCase) || IsOrigin(origin, value[..pathStart].ToString())))
            {
                return false;
            }

            isAbsolute = true;
        }

        var tailStart = span[pathStart..].IndexOfAny('?', '#');
        path = tailStart < 0 ? span[pathStart..] : span[pathStart..(pathStart + tailStart)];
        tail = tailStart < 0 ? ReadOnlySpan<char>.Empty : span[(pathStart + tailStart)..];
        return true;
    }

    /// <summary>
    /// The rest of <paramref name="path"/> below <paramref name="route"/> (empty, or starting with <c>/</c>) when
    /// <paramref name="path"/> is the route or below it at a segment boundary; case-insensitive, as Functions routes are.
    /// </summary>
    public static bool TryGetBelow(ReadOnlySpan<char> path, string route, out ReadOnlySpan<char> rest)
    {
        rest = default;
        if (!path.StartsWith(route, StringComparison.OrdinalIgnoreCase) || (path.Length > route.Length && path[route.Length] != '/'))
        {
            return false;
        }

        rest = path[route.Length..];
        return true;
    }

    /// <summary>Whether the host names <paramref name="origin"/>'s host or a parent domain of it; a leading dot is ignored.</summary>
    public static bool IsHostOrParent(ReadOnlySpan<char> domain, Uri origin)
    {
        domain = domain.Trim().TrimStart('.');
        var host = origin.IdnHost.AsSpan();
        return domain.Length > 0
            && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase)
            && (host.Length == domain.Length || host[host.Length - domain.Length - 1] == '.');
    }

    private static bool IsOrigin(Uri origin, string schemeAndAuthority) =>
        Uri.TryCreate(schemeAndAuthority, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, origin.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.IdnHost, origin.IdnHost, StringComparison.OrdinalIgnoreCase)
        && uri.Port == origin.Port;
}
