using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// What rewriting one response is keyed on: the origin the request was actually sent to (scheme, host and port of
/// <paramref name="FunctionUrl"/>), the function's route path on it, and the mount as this caller addresses it; and how a URL
/// the function handed back reads against them (on the origin? below the route? its path and the rest as written), the
/// reading every rewriter starts from, and a redirect on the function's route as the caller should see it
/// (<see cref="RewriteRedirect"/>). Nothing is computed until a header or body needs it, so a response with nothing
/// to rewrite costs nothing.
/// </summary>
/// <param name="FunctionUrl">The address the request was sent to.</param>
/// <param name="FunctionPath">The function's route on that origin, e.g. <c>/api/hello</c>, without a trailing slash.</param>
/// <param name="Caller">The caller's request, for its scheme, host and path base.</param>
/// <param name="EndpointPrefix">
/// The literal start of the mount's endpoint route pattern, route group prefixes included; empty for a branch, whose
/// mount point is in <see cref="HttpRequest.PathBase"/> already.
/// </param>
/// <param name="Options">The function's options.</param>
/// <param name="MountSuffix">What follows the mount's path in the caller's address of the function: an app mount's <c>/{function}</c>, else empty.</param>
internal readonly record struct RewriteScope(Uri FunctionUrl, string FunctionPath, HttpRequest Caller, PathString EndpointPrefix, AzureFunctionProxyOptions Options, string MountSuffix = "")
{
    private static readonly char[] s_removedByBrowsers = ['\t', '\n', '\r'];

    /// <summary>
    /// The function's path under the mount, as the caller addresses it: <see cref="HttpRequest.PathBase"/>, then
    /// <see cref="EndpointPrefix"/>, URI-encoded, then <see cref="MountSuffix"/>.
    /// </summary>
    public string MountPath => string.Concat(Caller.PathBase.ToUriComponent(), EndpointPrefix.ToUriComponent(), MountSuffix);

    /// <summary>The function's absolute address under the mount, as the caller addresses it: the caller's scheme and host, then <see cref="MountPath"/>.</summary>
    public string MountAddress => string.Concat(Caller.Scheme, "://", Caller.Host.ToUriComponent(), MountPath);

    /// <summary>Whether the options rewrite anything at all.</summary>
    public static bool AnyEnabled(AzureFunctionProxyOptions options) =>
        options.RewriteRedirects || options.RewriteCookies || DurableLinksEnabled(options);

    /// <summary>Whether Durable management URLs become links through the proxy.</summary>
    public static bool DurableLinksEnabled(AzureFunctionProxyOptions options) => !string.IsNullOrEmpty(options.DurableLinksPath);

    /// <summary>
    /// Splits <paramref name="value"/>, a URL the function handed back, when it is an absolute URL on the origin of
    /// <see cref="FunctionUrl"/> (see <see cref="TrySplit(ReadOnlySpan{char}, Uri, string, bool, out bool, out ReadOnlySpan{char}, out ReadOnlySpan{char})"/>),
    /// or, with <paramref name="pathAbsolute"/>, a path-absolute reference; <paramref name="isAbsolute"/> says which it was.
    /// </summary>
    public bool TrySplit(ReadOnlySpan<char> value, bool pathAbsolute, out bool isAbsolute, out ReadOnlySpan<char> path, out ReadOnlySpan<char> tail) =>
        TrySplit(value, FunctionUrl, FunctionUrl.Authority, pathAbsolute, out isAbsolute, out path, out tail);

    /// <summary>
    /// Splits <paramref name="value"/> when it is an absolute URL on <paramref name="origin"/>'s scheme, host and port
    /// (a default port written or not; no user information), or, with <paramref name="pathAbsolute"/>, a path-absolute
    /// reference (<c>/api/hello</c>, not <c>//host/...</c>), into its path and the rest (query and fragment), exactly as
    /// written, percent-encoding included. <paramref name="originAuthority"/> is <paramref name="origin"/>'s
    /// <see cref="Uri.Authority"/>, computed once (each read of it makes a string) for the many URLs of one body.
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
    /// The rest of <paramref name="path"/> below <see cref="FunctionPath"/> (empty, or starting with <c>/</c>) when
    /// <paramref name="path"/> is the function's route or below it at a segment boundary; case-insensitive, as Functions
    /// routes are.
    /// </summary>
    public bool TryGetBelowRoute(ReadOnlySpan<char> path, out ReadOnlySpan<char> rest)
    {
        rest = default;
        if (!path.StartsWith(FunctionPath, StringComparison.OrdinalIgnoreCase) || (path.Length > FunctionPath.Length && path[FunctionPath.Length] != '/'))
        {
            return false;
        }

        rest = path[FunctionPath.Length..];
        return true;
    }

    /// <summary>
    /// A <c>Location</c> or <c>Content-Location</c> on the function's own route, mapped onto the mount: an absolute URL on
    /// the origin the request went to becomes one on the caller's scheme, host, path base and mount; a path-absolute
    /// reference becomes path-absolute under the mount. The rest of the path, the query and the fragment are kept as
    /// written, except that ASCII tabs and newlines are removed (as browsers remove them) and a path-absolute result never
    /// starts with <c>//</c> or <c>/\</c> (a reference to another host). <see langword="null"/> when it is not on the
    /// function's route.
    /// </summary>
    public string? RewriteRedirect(string value)
    {
        if (!TrySplit(value, pathAbsolute: true, out var isAbsolute, out var path, out var tail)
            || !TryGetBelowRoute(path, out var rest))
        {
            return null;
        }

        var mount = isAbsolute ? MountAddress : MountPath;

        // A mount at the root of a path-absolute reference still needs its slash.
        if (!isAbsolute && mount.Length == 0 && rest.IsEmpty)
        {
            rest = "/";
        }

        // Browsers remove every ASCII tab and newline from a URL before reading it (WHATWG URL), so "/\t/host" is "//host":
        // the reference is judged, and handed on, as they will read it.
        var reference = string.Concat(mount, rest, tail);
        if (reference.AsSpan().ContainsAny(s_removedByBrowsers))
        {
            reference = string.Concat(reference.Split(s_removedByBrowsers));
        }

        // At a root mount the rest starts the reference: "//host" and "/\\host" would name another host (browsers read a
        // backslash as a slash), so the second character is percent-encoded and the reference stays on the caller's host.
        if (!isAbsolute && reference.Length > 1 && reference[1] is '/' or '\\')
        {
            return string.Concat("/", reference[1] == '/' ? "%2F" : "%5C", reference.AsSpan(2));
        }

        return reference;
    }

    /// <summary>Whether <paramref name="domain"/> names the host of <see cref="FunctionUrl"/> or a parent domain of it; a leading dot is ignored.</summary>
    public bool IsHostOrParent(ReadOnlySpan<char> domain)
    {
        domain = domain.Trim().TrimStart('.');
        var host = FunctionUrl.IdnHost.AsSpan();
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
