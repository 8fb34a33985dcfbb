using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// The most a lenient front end (IIS with best-fit mapping, an App Service front door, Tomcat or Jetty, a permissive
/// framework) could make of a raw path: percent-decoding (<c>%uXXXX</c> and overlong UTF-8 included) and compatibility
/// folding (fullwidth dots, slashes and percent signs) alternated until nothing changes, backslashes as slashes, a NUL
/// ending the path, <c>;</c> parameters dropped, white space, control and format characters ignored, trailing dots
/// trimmed, then dot segments resolved. A path whose resolution leaves a route escaped it.
/// </summary>
public static partial class LenientFrontEnd
{
    public static string Resolve(string rawPath)
    {
        var path = rawPath;
        for (var pass = 0; pass < 8; pass++)
        {
            var next = Uri.UnescapeDataString(DecodeOverlong(DecodePercentU(Fold(path))));
            if (next == path)
            {
                break;
            }

            path = next;
        }

        path = path.Replace('\\', '/');
        if (path.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
        {
            path = path[..nul];
        }

        var output = new List<string>();
        foreach (var raw in path.Split('/').Skip(1))
        {
            var name = string.Concat(raw.Split(';')[0].EnumerateRunes().Where(r => !IsIgnorable(r)));
            var segment = name.Length > 0 && name.All(c => c == '.')
                ? (name.Length > 1 ? ".." : ".")
                : name.TrimEnd('.');
            if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }
            }
            else if (segment != ".")
            {
                output.Add(segment);
            }
        }

        return "/" + string.Join('/', output);
    }

    /// <summary>Whether <paramref name="rawPath"/> resolves to <paramref name="route"/> or below it.</summary>
    public static bool StaysWithin(string rawPath, string route)
    {
        var resolved = Resolve(rawPath);
        return resolved == route || resolved.StartsWith(route + "/", StringComparison.Ordinal);
    }

    // By code point: a format character beyond the BMP (U+E0001, a tag) is two chars of no category.
    private static bool IsIgnorable(Rune rune) =>
        Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format;

    private static string Fold(string path)
    {
        try
        {
            return path.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return path; // A lone surrogate: nothing to fold.
        }
    }

    private static string DecodePercentU(string path) =>
        PercentU().Replace(path, m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString());

    // %C0%AE, %E0%80%AE and %F0%80%80%AE all spell '.' to a decoder that does not refuse overlong forms.
    private static string DecodeOverlong(string path) => Overlong().Replace(path, m =>
    {
        var bytes = m.Value.Split('%', StringSplitOptions.RemoveEmptyEntries).Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        var value = bytes[0] & (0x7F >> bytes.Length);
        foreach (var continuation in bytes.Skip(1))
        {
            value = (value << 6) | (continuation & 0x3F);
        }

        return value < 0x80 ? ((char)value).ToString() : m.Value;
    });

    [GeneratedRegex("%u([0-9a-fA-F]{4})")]
    private static partial Regex PercentU();

    [GeneratedRegex("%[cC][01](%[89abAB][0-9a-fA-F])|%[eE]0(%[89][0-9a-fA-F])(%[89abAB][0-9a-fA-F])|%[fF]0(%8[0-9a-fA-F])(%[89abAB][0-9a-fA-F]){2}")]
    private static partial Regex Overlong();
}
