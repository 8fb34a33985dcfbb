using System.Text;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The first segment of a path as the most lenient server could name it, to judge a name the proxy reserves (the
/// Durable links segment) as an app mount judges a function name: empty segments skipped (<c>//x</c> is <c>/x</c> to a
/// server that merges slashes), percent-decoded and NFKC-folded until nothing changes (<see cref="PathSafety.Decode"/>:
/// <c>%5F</c>, <c>%255F</c>, a fullwidth <c>＿</c>), cut at a decoded slash, <c>;</c> parameters dropped (Tomcat, Jetty),
/// characters some reader ignores removed (white space, control and format characters, variation selectors, Hangul
/// fillers), trailing dots trimmed (IIS; ideographic full stops count). Compared case-insensitively.
/// </summary>
internal static class LenientSegment
{
    /// <summary>Whether the first non-empty segment of <paramref name="path"/>, so read, is <paramref name="name"/>.</summary>
    public static bool Names(ReadOnlySpan<char> path, string name)
    {
        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        var segment = end < 0 ? path : path[..end];

        // Visible ASCII with no escape reads as it is written (NFKC leaves it alone, and no reader ignores any of it):
        // judged without a string, as nearly every request's first segment is.
        if (!segment.ContainsAnyExceptInRange('!', '~') && !segment.Contains('%'))
        {
            var cut = segment.IndexOf(';');
            return (cut < 0 ? segment : segment[..cut]).TrimEnd('.').Equals(name, StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(First(segment), name, StringComparison.OrdinalIgnoreCase);
    }

    // The segment decoded and folded; null when it cannot be decoded or nothing is left of it.
    private static string? First(ReadOnlySpan<char> segment)
    {
        if (PathSafety.Decode(segment.ToString()) is not { } decoded)
        {
            return null;
        }

        var name = decoded.AsSpan().TrimStart('/');
        var cut = name.IndexOfAny('/', ';');
        var visible = Visible(cut < 0 ? name : name[..cut]).TrimEnd('.');
        return visible.Length == 0 ? null : visible;
    }

    // The name without what some reader ignores (white space, control and format characters, variation selectors,
    // Hangul fillers), ideographic full stops read as dots, as PathSafety reads a dot segment.
    private static string Visible(ReadOnlySpan<char> name)
    {
        if (!name.ContainsAnyExceptInRange('!', '~'))
        {
            return name.ToString();
        }

        var visible = new StringBuilder(name.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in name.EnumerateRunes())
        {
            if (PathSafety.IsDotLookalike(rune))
            {
                visible.Append('.');
            }
            else if (!PathSafety.IsIgnorable(rune))
            {
                visible.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
        }

        return visible.ToString();
    }
}
