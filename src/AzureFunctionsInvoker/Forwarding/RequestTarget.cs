using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The caller's request target (RFC 9112 3.2), parsed once per request into what every step reads of it: the path below
/// the mount point as the caller encoded it (<c>a%20b</c> stays <c>a%20b</c>, <c>%2F</c> stays <c>%2F</c>), an app
/// mount's function segment, the query, whether the path is safe to forward (<see cref="PathSafety"/>), and the
/// address it makes on a backend. What it forwards holds only printable ASCII other than <c>#</c>.
/// </summary>
internal readonly struct RequestTarget
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    // What may be written in the function's request line: printable ASCII less '#'. HTTP/2 callers can put spaces,
    // controls and non-ASCII characters in :path, which Kestrel passes on; HttpClient writes a request line it is
    // handed without checking, and for a non-ASCII character it writes no byte at all, leaving whatever its buffer
    // held from an earlier request on the connection in its place (headers, a key, a whole request). '#' would end
    // the target for the function's server.
    private static readonly SearchValues<char> s_requestLine = SearchValues.Create(
        "!\"$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // The path lies in _source from _start to _end: in the raw target, or in the current path, encoded.
    private readonly string? _source;
    private readonly int _start;
    private readonly int _end;

    // Whether the path is the raw target's (else the current path's), and whether the server decoded %2F in it, so
    // that a %2F ends a segment.
    private readonly bool _fromRawPath;
    private readonly bool _encodedSlashes;

    // Whether the query and the whole raw path can be carried and are safe: judged once, for the mount and below.
    private readonly bool _targetSafe;

    private RequestTarget(string? source, int start, int end, string query, bool fromRawPath, bool encodedSlashes, bool targetSafe)
    {
        _source = source;
        _start = start;
        _end = end;
        Query = query;
        _fromRawPath = fromRawPath;
        _encodedSlashes = encodedSlashes;
        _targetSafe = targetSafe;

        // A rest that does not start a segment begins inside one the caller sent (after a %2F the server decoded into
        // a separator): appended, it would lengthen the function's own name.
        var rest = Rest;
        IsSafe = targetSafe && (rest.IsEmpty || rest[0] == '/') && (fromRawPath || (CanCarry(rest) && PathSafety.IsSafe(rest)));
    }

    /// <summary>
    /// The path to append to the function's route, as the caller encoded it. When middleware rewrote the path, or the
    /// server keeps no raw target, the current <see cref="HttpRequest.Path"/> instead, encoded.
    /// </summary>
    public ReadOnlySpan<char> Rest => _source.AsSpan(_start, _end - _start);

    /// <summary>The query, with its <c>?</c>, or empty: as the server kept it, and a rewrite's query is the one to honour.</summary>
    public string Query { get; }

    /// <summary>
    /// Whether the request may be forwarded: the path is safe (anywhere in the raw target, and in the rest), and the
    /// path and query hold no character a request line cannot carry (a space, a control or non-ASCII character, '#').
    /// </summary>
    public bool IsSafe { get; }

    /// <summary>
    /// The first segment of <see cref="Rest"/> exactly as the caller encoded it (<c>%6Frders</c> stays so), whether or
    /// not the target is safe: an app mount's function name, which is to match a configured name as is. Empty when there
    /// is none.
    /// </summary>
    public ReadOnlySpan<char> FirstSegment
    {
        get
        {
            var rest = Rest;
            if (rest.IsEmpty || rest[0] != '/')
            {
                return ReadOnlySpan<char>.Empty;
            }

            rest = rest[1..];
            var end = rest.IndexOf('/');
            return end < 0 ? rest : rest[..end];
        }
    }

    /// <summary>
    /// Parses the request target of <paramref name="context"/>: the path below the mount point (<see cref="HttpRequest.PathBase"/>,
    /// then the segments of <paramref name="endpointPrefix"/>, the literal start of the endpoint's route pattern) and the query.
    /// </summary>
    public static RequestTarget Parse(HttpContext context, PathString endpointPrefix)
    {
        var request = context.Request;
        var query = request.QueryString.Value ?? string.Empty;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var (rawStart, rawLength) = RawPath(rawTarget);
        var rawPath = rawTarget.AsSpan(rawStart, rawLength);
        var targetSafe = CanCarry(query) && CanCarry(rawPath) && PathSafety.IsSafe(rawPath);

        // The path below the path base and the prefix's segments: of the raw path when the server decoded its end into
        // Path (the raw path then has the segments of its decoded form, no dot segments being left; when the server
        // decoded %2F too, each %2F ends one of them, and what is below may start at one, inside a segment as the caller
        // sent it), else of the current path, rewritten by middleware, encoded.
        var prefixSegments = endpointPrefix.Value.AsSpan().Count('/');
        if (DecodesTo(rawPath, request.Path.Value ?? string.Empty, out var baseSegments, out var slashesDecoded))
        {
            var start = rawStart + SegmentStart(rawPath, baseSegments + prefixSegments, slashesDecoded);
            return new(rawTarget, start, rawStart + rawLength, query, fromRawPath: true, slashesDecoded, targetSafe);
        }

        var path = request.Path.ToUriComponent();
        return new(path, SegmentStart(path, prefixSegments, encodedSlashes: false), path.Length, query, fromRawPath: false, encodedSlashes: false, targetSafe);
    }

    /// <summary>
    /// A target this app made rather than the caller sent: <paramref name="rest"/> and <paramref name="query"/> as a
    /// proxies.json <c>backendUri</c> renders them, already judged by path safety.
    /// </summary>
    public static RequestTarget Of(string rest, string query) =>
        new(rest, 0, rest.Length, query, fromRawPath: false, encodedSlashes: false, targetSafe: CanCarry(query));

    /// <summary>This target without the first segment of <see cref="Rest"/>: what an app mount forwards below its function segment.</summary>
    public RequestTarget BelowFirstSegment()
    {
        var start = _start + SegmentStart(Rest, 1, _encodedSlashes);
        return new(_source, start, _end, Query, _fromRawPath, _encodedSlashes, _targetSafe);
    }

    /// <summary>
    /// The address of this request on the function at <paramref name="functionUri"/>: <see cref="Rest"/> and
    /// <see cref="Query"/> appended to it exactly as the caller sent them, percent-encoding included. Only for a target
    /// that <see cref="IsSafe"/>.
    /// </summary>
    public Uri AppendTo(Uri functionUri) => Append(functionUri, Rest, Query);

    /// <summary>
    /// The address of one request to the function at <paramref name="functionUri"/>. <paramref name="rest"/> and
    /// <paramref name="query"/> are appended exactly as given: <see cref="Uri"/> must neither decode nor re-encode them.
    /// </summary>
    public static Uri Append(Uri functionUri, ReadOnlySpan<char> rest, string query)
    {
        if (rest.Length == 0 && query.Length == 0)
        {
            return functionUri;
        }

        return new Uri(string.Concat(functionUri.OriginalString, rest, query), in s_verbatim);
    }

    /// <summary>Whether <paramref name="target"/> can be written in the function's request line as it is.</summary>
    public static bool CanCarry(ReadOnlySpan<char> target) => !target.ContainsAnyExcept(s_requestLine);

    // Where the path of the raw target starts, and its length.
    private static (int Start, int Length) RawPath(string? rawTarget)
    {
        var target = rawTarget.AsSpan();
        var queryStart = target.IndexOf('?');
        var path = queryStart < 0 ? target : target[..queryStart];
        if (path.Length == 0 || path[0] == '/')
        {
            return (0, path.Length);
        }

        // absolute-form (RFC 9112 3.2.2): "http://host:port/path". Its scheme and authority are ignored:
        // nothing the caller sends chooses where the request goes.
        var schemeEnd = path.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return (0, 0);
        }

        var authorityStart = schemeEnd + 3;
        var pathStart = path[authorityStart..].IndexOf('/');
        return pathStart < 0 ? (0, 0) : (authorityStart + pathStart, path.Length - authorityStart - pathStart);
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
