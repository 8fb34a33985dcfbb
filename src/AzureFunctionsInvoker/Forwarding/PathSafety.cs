using System.Buffers;
using System.Globalization;
using System.Text;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Decides whether a path can be appended to the function's route without leaving it. The Function App's
/// <c>/admin</c> API sits beside <c>/api</c>; the App Service front end decodes <c>%2F</c>, resolves dot
/// segments, and, being IIS, trims trailing dots and spaces, knows <c>%u</c> escapes and may fold compatibility
/// characters (best-fit mapping); other readers drop <c>;</c> parameters or ignore invisible characters. So each
/// segment is percent-decoded and NFKC-folded together, repeatedly, until nothing changes (a fullwidth <c>％2e</c>
/// folds to <c>%2e</c>, which decodes to <c>.</c>), split again at decoded slashes, and only then judged.
/// The path is refused when any segment, with its <c>;</c> parameters dropped and its white space, control, format
/// and other default-ignorable characters ignored, is made of dots only (ideographic full stops, which best-fit
/// mapping turns into dots, count as dots); when it holds a backslash or a slash that best-fit mapping makes one
/// (U+2215, U+2044...), a <c>%u</c> escape, or a control, format or line/paragraph separator character (Unicode
/// <c>Cc</c>, <c>Cf</c>, <c>Zl</c>, <c>Zp</c>); or when it cannot be decoded to the end (invalid or overlong UTF-8
/// such as <c>%C0%AE</c>, or more than eight layers). Characters are judged as code points.
/// The same reading judges a name the proxy reserves (the Durable links segment) as an app mount judges a function
/// name, <see cref="NamesFirstSegment"/>: whether the most lenient server could read a path's first segment as it.
/// </summary>
internal static class PathSafety
{
    private const int MaxDecodingPasses = 8;

    // Segments of these characters alone (unreserved, sub-delims, ':' and '@') have nothing to decode or fold.
    private static readonly SearchValues<char> s_plain = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@");

    /// <summary>Whether <paramref name="path"/> can be appended to the function's route without leaving it.</summary>
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

    /// <summary>
    /// Whether <paramref name="path"/> may be below the segment <paramref name="name"/>, or name it in another spelling
    /// (<see cref="NamesFirstSegment"/>): a test of no cost that every such path passes, so that nearly every request,
    /// whose first segment is plain ASCII starting otherwise, is judged no further. False when <paramref name="name"/>
    /// is empty.
    /// </summary>
    public static bool MayNameFirstSegment(ReadOnlySpan<char> path, string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        var segment = end < 0 ? path : path[..end];
        return path.StartsWith(name, StringComparison.OrdinalIgnoreCase) || segment.ContainsAnyExceptInRange('!', '~') || segment.Contains('%');
    }

    /// <summary>
    /// Whether the first segment of <paramref name="path"/>, as the most lenient server could read it, is
    /// <paramref name="name"/>: empty segments skipped (<c>//x</c> is <c>/x</c> to a server that merges slashes),
    /// percent-decoded and NFKC-folded until nothing changes (<see cref="Decode"/>: <c>%5F</c>, <c>%255F</c>, a fullwidth
    /// <c>＿</c>), cut at a decoded slash, <c>;</c> parameters dropped (Tomcat, Jetty), characters some reader ignores
    /// removed (white space, control and format characters, variation selectors, Hangul fillers), trailing dots trimmed
    /// (IIS; ideographic full stops count). Compared case-insensitively.
    /// </summary>
    public static bool NamesFirstSegment(ReadOnlySpan<char> path, string name)
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

        return string.Equals(LenientName(segment), name, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsSafeSegment(ReadOnlySpan<char> segment)
    {
        if (!segment.ContainsAnyExcept(s_plain))
        {
            return !IsDotSegment(segment);
        }

        return Decode(segment.ToString()) is { } decoded && AreSafeDecodedSegments(decoded);
    }

    /// <summary>
    /// Percent-decoding and NFKC folding, alternated until neither changes anything: folding can make an escape
    /// (％２ｅ is %2e) and decoding can make a foldable character. Null when it does not settle or cannot be decoded.
    /// </summary>
    private static string? Decode(string value)
    {
        var current = value;
        for (var pass = 0; pass < MaxDecodingPasses; pass++)
        {
            var folded = Fold(current);
            if (folded is null || folded.Contains("%u", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var next = Uri.UnescapeDataString(folded);
            if (next == current)
            {
                return HasPercentEscape(next) ? null : next;
            }

            current = next;
        }

        return null;
    }

    // Compatibility forms fold to ASCII: a fullwidth dot (U+FF0E), percent (U+FF05) or solidus (U+FF0F) becomes
    // '.', '%' or '/'. A string that cannot be normalised (a lone surrogate) cannot be judged.
    private static string? Fold(string value)
    {
        if (!value.AsSpan().ContainsAnyExceptInRange('\0', '\u007f'))
        {
            return value;
        }

        try
        {
            return value.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // A decoded %2F makes more segments; any of them may be a dot segment once a server decodes it. Characters are
    // judged as code points: a format character beyond the BMP (U+E0001, a tag) is two chars of no category.
    private static bool AreSafeDecodedSegments(string decoded)
    {
        foreach (var rune in decoded.EnumerateRunes())
        {
            if (rune.Value == '\\' || IsSlashLookalike(rune) || IsRefusedCharacter(rune))
            {
                return false;
            }
        }

        foreach (var range in decoded.AsSpan().Split('/'))
        {
            if (IsDotSegment(decoded.AsSpan()[range]))
            {
                return false;
            }
        }

        return true;
    }

    // What some reader resolves as "." or "..": dots alone once ";" parameters are dropped (Tomcat, Jetty) and
    // white space (IIS trims it), control and format characters (zero-width, soft hyphen, BOM) are ignored.
    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        var parameters = segment.IndexOf(';');
        var name = parameters < 0 ? segment : segment[..parameters];
        var dots = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (rune.Value == '.' || IsDotLookalike(rune))
            {
                dots++;
            }
            else if (!IsIgnorable(rune))
            {
                return false;
            }
        }

        return dots > 0;
    }

    private static bool IsIgnorable(Rune rune) =>
        Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
        || IsDefaultIgnorable(rune.Value);

    // Default_Ignorable_Code_Point (Unicode) beyond Cc and Cf: combining grapheme joiner, Hangul fillers, Mongolian
    // and variation selectors; a renderer or a normaliser may drop them.
    private static bool IsDefaultIgnorable(int value) =>
        value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0
            or (>= 0x180B and <= 0x180F) or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);

    // What Windows' best-fit mapping, unlike NFKC, turns into a separator or a dot.
    private static bool IsSlashLookalike(Rune rune) => rune.Value is 0x2044 or 0x2215 or 0x2216 or 0x29F5 or 0x29F8 or 0x29F9;

    private static bool IsDotLookalike(Rune rune) => rune.Value is 0x3002 or 0xFF61;

    private static bool IsRefusedCharacter(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    // The segment decoded and folded; null when it cannot be decoded or nothing is left of it.
    private static string? LenientName(ReadOnlySpan<char> segment)
    {
        if (Decode(segment.ToString()) is not { } decoded)
        {
            return null;
        }

        var name = decoded.AsSpan().TrimStart('/');
        var cut = name.IndexOfAny('/', ';');
        var visible = Visible(cut < 0 ? name : name[..cut]).TrimEnd('.');
        return visible.Length == 0 ? null : visible;
    }

    // The name without what some reader ignores (white space, control and format characters, variation selectors,
    // Hangul fillers), ideographic full stops read as dots, as a dot segment is read.
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
            if (IsDotLookalike(rune))
            {
                visible.Append('.');
            }
            else if (!IsIgnorable(rune))
            {
                visible.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
        }

        return visible.ToString();
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
}
