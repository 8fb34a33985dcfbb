using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Reads the caller's request target as it arrived on the wire, so the path below the mount point and the
/// query reach the function byte for byte (<c>a%20b</c> stays <c>a%20b</c>, <c>%2F</c> stays <c>%2F</c>).
/// What it gives has passed <see cref="PathSafety"/>, and holds only printable ASCII other than <c>#</c>.
/// </summary>
internal static class RequestTarget
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    // What may be written in the function's request line: printable ASCII less '#'. HTTP/2 callers can put spaces,
    // controls and non-ASCII characters in :path, which Kestrel passes on; HttpClient writes a request line it is
    // handed without checking, and for a non-ASCII character it writes no byte at all, leaving whatever its buffer
    // held from an earlier request on the connection in its place (headers, a key, a whole request). '#' would end
    // the target for the function's server.
    private static readonly SearchValues<char> s_requestLine = SearchValues.Create(
        "!\"$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>
    /// The address of one request to the function at <paramref name="functionUri"/>. <paramref name="rest"/> and
    /// <paramref name="query"/> are appended exactly as the caller sent them, percent-encoding included: <see cref="Uri"/>
    /// must neither decode nor re-encode them. <paramref name="rest"/> must come from <c>TryGetRestAndQuery</c>.
    /// </summary>
    public static Uri Append(Uri functionUri, ReadOnlySpan<char> rest, string query)
    {
        if (rest.Length == 0 && query.Length == 0)
        {
            return functionUri;
        }

        return new Uri(string.Concat(functionUri.OriginalString, rest, query), in s_verbatim);
    }

    /// <summary>
    /// Gives the path below the mount point (<see cref="HttpRequest.PathBase"/>, then the segments of
    /// <paramref name="endpointPrefix"/>) as the caller encoded it, and the query including its <c>?</c>. When
    /// middleware rewrote the path, or the server keeps no raw target, the path is the current
    /// <see cref="HttpRequest.Path"/> instead. Returns <see langword="false"/> when the path is not safe to forward, or
    /// the path or query holds a character a request line cannot carry (a space, a control or non-ASCII character, '#').
    /// </summary>
    public static bool TryGetRestAndQuery(HttpContext context, PathString endpointPrefix, out ReadOnlySpan<char> rest, out string query) =>
        TryGetRestAndQuery(context, endpointPrefix, 0, out rest, out query);

    /// <summary>
    /// As <see cref="TryGetRestAndQuery(HttpContext, PathString, out ReadOnlySpan{char}, out string)"/>, leaving out
    /// <paramref name="segmentsBelowPrefix"/> more segments after the prefix.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="endpointPrefix">The literal start of the endpoint's route pattern below the path base.</param>
    /// <param name="segmentsBelowPrefix">Segments after the prefix that are not forwarded either: 1 for an app mount's function name.</param>
    /// <param name="rest">The path to append to the function's route.</param>
    /// <param name="query">The query, with its <c>?</c>, or empty.</param>
    public static bool TryGetRestAndQuery(HttpContext context, PathString endpointPrefix, int segmentsBelowPrefix, out ReadOnlySpan<char> rest, out string query)
    {
        var request = context.Request;

        // Servers keep the query exactly as it arrived, and a rewrite's query is the one to honour.
        query = request.QueryString.Value ?? string.Empty;
        rest = ReadOnlySpan<char>.Empty;

        if (query.AsSpan().ContainsAnyExcept(s_requestLine))
        {
            return false;
        }

        var rawPath = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        if (rawPath.ContainsAnyExcept(s_requestLine) || !PathSafety.IsSafe(rawPath))
        {
            return false;
        }

        rest = Below(request, rawPath, endpointPrefix.Value.AsSpan().Count('/') + segmentsBelowPrefix, out var fromRawPath);

        // A rest that does not start a segment begins inside one the caller sent (after a %2F the server decoded into
        // a separator): appended, it would lengthen the function's own name.
        return (rest.IsEmpty || rest[0] == '/') && (fromRawPath || (!rest.ContainsAnyExcept(s_requestLine) && PathSafety.IsSafe(rest)));
    }

    /// <summary>
    /// The first segment below <see cref="HttpRequest.PathBase"/> and <paramref name="endpointPrefix"/> exactly as the
    /// caller encoded it (<c>%6Frders</c> stays so), before anything is judged: an app mount's function name, which is
    /// to match a configured name as is. When middleware rewrote the path, the segment of the current path instead.
    /// Empty when there is none.
    /// </summary>
    public static ReadOnlySpan<char> FirstSegmentBelow(HttpContext context, PathString endpointPrefix)
    {
        var rawPath = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        var below = Below(context.Request, rawPath, endpointPrefix.Value.AsSpan().Count('/'), out _);
        if (below.IsEmpty || below[0] != '/')
        {
            return ReadOnlySpan<char>.Empty;
        }

        below = below[1..];
        var end = below.IndexOf('/');
        return end < 0 ? below : below[..end];
    }

    // The path below the path base and prefixSegments more segments: of the raw path when the server decoded its end
    // into Path (the raw path then has the segments of its decoded form, no dot segments being left; when the server
    // decoded %2F too, each %2F ends one of them, and what is below may start at one, inside a segment as the caller
    // sent it), else of the current path, rewritten by middleware, encoded.
    private static ReadOnlySpan<char> Below(HttpRequest request, ReadOnlySpan<char> rawPath, int prefixSegments, out bool fromRawPath)
    {
        fromRawPath = DecodesTo(rawPath, request.Path.Value ?? string.Empty, out var baseSegments, out var slashesDecoded);
        if (fromRawPath)
        {
            return rawPath[SegmentStart(rawPath, baseSegments + prefixSegments, slashesDecoded)..];
        }

        var path = request.Path.ToUriComponent();
        return path.AsSpan(SegmentStart(path, prefixSegments, encodedSlashes: false));
    }

    /// <summary>Whether <paramref name="target"/> can be written in the function's request line as it is.</summary>
    public static bool CanCarry(ReadOnlySpan<char> target) => !target.ContainsAnyExcept(s_requestLine);

    private static ReadOnlySpan<char> RawPath(string? rawTarget)
    {
        var target = rawTarget.AsSpan();
        var queryStart = target.IndexOf('?');
        var path = queryStart < 0 ? target : target[..queryStart];
        if (path.Length == 0 || path[0] == '/')
        {
            return path;
        }

        // absolute-form (RFC 9112 3.2.2): "http://host:port/path". Its scheme and authority are ignored:
        // nothing the caller sends chooses where the request goes.
        var schemeEnd = path.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return ReadOnlySpan<char>.Empty;
        }

        var authority = path[(schemeEnd + 3)..];
        var pathStart = authority.IndexOf('/');
        return pathStart < 0 ? ReadOnlySpan<char>.Empty : authority[pathStart..];
    }

    // Whether the server decoded rawPath into segments ending with path, as Kestrel does: every escape but %2F decoded,
    // or, for an absolute-form target (which Kestrel reads as a Uri's LocalPath), every escape, slashesDecoded then.
    // baseSegments are the decoded segments before path: the path base, as UsePathBase took it from the path in its
    // own spelling, or none when the path base is not in the path at all (a trusted X-Forwarded-Prefix sets it).
    private static bool DecodesTo(ReadOnlySpan<char> rawPath, string path, out int baseSegments, out bool slashesDecoded)
    {
        baseSegments = 0;
        slashesDecoded = false;
        if (rawPath.IsEmpty)
        {
            return false;
        }

        if (!rawPath.Contains('%'))
        {
            return EndsWithPath(rawPath, path, out baseSegments);
        }

        var raw = rawPath.ToString();
        var keptSlashes = raw.Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal);
        if (EndsWithPath(Uri.UnescapeDataString(keptSlashes), path, out baseSegments))
        {
            return true;
        }

        slashesDecoded = EndsWithPath(Uri.UnescapeDataString(raw), path, out baseSegments);
        return slashesDecoded;
    }

    // The segments before path end where path starts: at a '/', or at the end when path is empty.
    private static bool EndsWithPath(ReadOnlySpan<char> decoded, string path, out int baseSegments)
    {
        var head = decoded.Length - path.Length;
        var ends = head >= 0 && decoded[head..].SequenceEqual(path) && (path.Length == 0 || path[0] == '/');
        baseSegments = ends ? decoded[..head].Count('/') : 0;
        return ends;
    }

    // Where the segment after segmentsToSkip ones starts: at its '/', or at the %2F that ends the last one skipped when
    // encodedSlashes (the server decoded them into separators).
    private static int SegmentStart(ReadOnlySpan<char> path, int segmentsToSkip, bool encodedSlashes)
    {
        var index = 0;
        for (var skipped = 0; skipped < segmentsToSkip; skipped++)
        {
            if (index >= path.Length)
            {
                return path.Length;
            }

            var next = NextSeparator(path[(index + 1)..], encodedSlashes);
            if (next < 0)
            {
                return path.Length;
            }

            index += next + 1;
        }

        return index;
    }

    private static int NextSeparator(ReadOnlySpan<char> path, bool encodedSlashes)
    {
        var slash = path.IndexOf('/');
        if (!encodedSlashes)
        {
            return slash;
        }

        var searched = slash < 0 ? path : path[..slash];
        var encoded = searched.IndexOf("%2F", StringComparison.OrdinalIgnoreCase);
        return encoded < 0 ? slash : encoded;
    }
}
