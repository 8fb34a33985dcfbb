using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Reads the caller's request target as it arrived on the wire, so the path below the mount point and the
/// query reach the function byte for byte (<c>a%20b</c> stays <c>a%20b</c>, <c>%2F</c> stays <c>%2F</c>),
/// and decides whether that path is safe to append to the function's route.
/// </summary>
/// <remarks>
/// The Function App's <c>/admin</c> API sits beside <c>/api</c>, and the App Service front end decodes
/// <c>%2F</c> and resolves dot segments. So a path is refused when any segment, percent-decoded repeatedly
/// until nothing changes, is <c>.</c> or <c>..</c>, holds a backslash or a control character, or cannot be
/// decoded at all (invalid or overlong UTF-8).
/// </remarks>
internal static class RequestTarget
{
    private const int MaxDecodingPasses = 8;

    /// <summary>
    /// Gives the path below the mount point (<see cref="HttpRequest.PathBase"/>) as the caller encoded it, and the
    /// query including its <c>?</c>. When middleware rewrote the path or path base, or the server keeps no raw
    /// target, the path is the current <see cref="HttpRequest.Path"/> instead. Returns <see langword="false"/>
    /// when the path is not safe to forward.
    /// </summary>
    public static bool TryGetRestAndQuery(HttpContext context, out string rest, out string query)
    {
        var request = context.Request;

        // Servers keep the query exactly as it arrived, and a rewrite's query is the one to honour.
        query = request.QueryString.Value ?? string.Empty;
        rest = string.Empty;

        var rawPath = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        if (!IsSafePath(rawPath))
        {
            return false;
        }

        var pathBase = request.PathBase.Value ?? string.Empty;
        if (DecodesTo(rawPath, pathBase, request.Path.Value ?? string.Empty))
        {
            // The raw path has as many segments as its decoded form: no dot segments are left, and servers
            // do not decode %2F into a separator.
            var restStart = SegmentStart(rawPath, pathBase.AsSpan().Count('/'));
            rest = rawPath[restStart..].ToString();
            return true;
        }

        rest = request.Path.ToUriComponent();
        return IsSafePath(rest);
    }

    /// <summary>Whether a raw path can be appended to the function's route without leaving it.</summary>
    public static bool IsSafePath(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            if (!IsSafeSegment(path[range]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSafeSegment(ReadOnlySpan<char> segment)
    {
        if (segment.Contains('\\'))
        {
            return false;
        }

        return segment.Contains('%') ? IsSafeDecoded(segment.ToString()) : !IsDotSegment(segment);
    }

    private static bool IsSafeDecoded(string segment)
    {
        var decoded = segment;
        for (var pass = 0; pass < MaxDecodingPasses; pass++)
        {
            var next = Uri.UnescapeDataString(decoded);
            if (next == decoded)
            {
                return !HasPercentEscape(decoded) && AreSafeDecodedSegments(decoded);
            }

            decoded = next;
        }

        return false;
    }

    // A decoded %2F makes more segments; any of them may be a dot segment once a server decodes it.
    private static bool AreSafeDecodedSegments(ReadOnlySpan<char> decoded)
    {
        if (decoded.Contains('\\') || decoded.ContainsAnyInRange('\0', '\u001f') || decoded.Contains('\u007f'))
        {
            return false;
        }

        foreach (var range in decoded.Split('/'))
        {
            if (IsDotSegment(decoded[range]))
            {
                return false;
            }
        }

        return true;
    }

    // UnescapeDataString leaves escapes that are not valid UTF-8 (overlong forms such as %C0%AE) as they are.
    private static bool HasPercentEscape(ReadOnlySpan<char> value)
    {
        for (var i = 0; i + 2 < value.Length; i++)
        {
            if (value[i] == '%' && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDotSegment(ReadOnlySpan<char> segment) => segment is "." or "..";

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

    // Whether the server decoded rawPath into pathBase + path, as Kestrel does: every escape but %2F decoded.
    private static bool DecodesTo(ReadOnlySpan<char> rawPath, string pathBase, string path)
    {
        if (rawPath.IsEmpty)
        {
            return false;
        }

        if (!rawPath.Contains('%'))
        {
            return rawPath.StartsWith(pathBase, StringComparison.Ordinal) && rawPath[pathBase.Length..].SequenceEqual(path);
        }

        var keptSlashes = rawPath.ToString().Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal);
        return string.Equals(Uri.UnescapeDataString(keptSlashes), string.Concat(pathBase, path), StringComparison.Ordinal);
    }

    private static int SegmentStart(ReadOnlySpan<char> path, int segmentsToSkip)
    {
        var index = 0;
        for (var skipped = 0; skipped < segmentsToSkip; skipped++)
        {
            if (index >= path.Length)
            {
                return path.Length;
            }

            var next = path[(index + 1)..].IndexOf('/');
            if (next < 0)
            {
                return path.Length;
            }

            index += next + 1;
        }

        return index;
    }
}
