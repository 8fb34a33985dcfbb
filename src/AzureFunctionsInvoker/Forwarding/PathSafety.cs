using System.Text;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Decides whether a path can be appended to the function's route without leaving it. The Function App's
/// <c>/admin</c> API sits beside <c>/api</c>; the App Service front end decodes <c>%2F</c>, resolves dot
/// segments, and, being IIS, trims trailing dots and spaces and knows <c>%u</c> escapes. So a path is refused
/// when any segment, percent-decoded repeatedly until nothing changes (and split again at decoded slashes),
/// is made of dots and spaces only (<c>.</c>, <c>..</c>, <c>...</c>, <c>.. </c>, also as fullwidth dots),
/// holds a backslash or a control character, uses a <c>%u</c> escape, or cannot be decoded at all (invalid
/// or overlong UTF-8 such as <c>%C0%AE</c>).
/// </summary>
internal static class PathSafety
{
    private const int MaxDecodingPasses = 8;

    public static bool IsSafe(ReadOnlySpan<char> path)
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

        if (!segment.Contains('%'))
        {
            return !IsDotsAndSpaces(segment);
        }

        var decoded = segment.ToString();
        for (var pass = 0; pass < MaxDecodingPasses; pass++)
        {
            if (decoded.Contains("%u", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

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
    private static bool AreSafeDecodedSegments(string decoded)
    {
        if (decoded.AsSpan().ContainsAnyInRange('\0', '\u001f') || decoded.Contains('\u007f', StringComparison.Ordinal))
        {
            return false;
        }

        // Compatibility forms fold to ASCII: a fullwidth dot (U+FF0E) or solidus (U+FF0F) becomes '.' or '/'.
        var folded = decoded.AsSpan().ContainsAnyExceptInRange('\0', '\u007f') ? decoded.Normalize(NormalizationForm.FormKC) : decoded;
        if (folded.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var range in folded.AsSpan().Split('/'))
        {
            if (IsDotsAndSpaces(folded.AsSpan()[range]))
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

    // ".", "..", and what IIS trims down to them: "...", ".. ", ". .".
    private static bool IsDotsAndSpaces(ReadOnlySpan<char> segment) =>
        segment.Contains('.') && !segment.ContainsAnyExcept('.', ' ');
}
