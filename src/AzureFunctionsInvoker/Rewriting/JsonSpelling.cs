using System.Text;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// What the bytes of a body that does not parse as JSON could still spell to a reader that decodes what it can: the
/// bytes as UTF-8 (invalid sequences replaced), every escape JSON allows resolved (<c>\u0074</c>, <c>\/</c>) wherever it
/// stands, even beside an escape no decoder accepts (a lone <c>\ud800</c>). A word it does not hold, in any case, is in no
/// string of the body however the body is read.
/// </summary>
internal static class JsonSpelling
{
    /// <summary>Whether <paramref name="json"/> could spell <paramref name="word"/> (case-insensitive).</summary>
    public static bool MayHold(ReadOnlySpan<byte> json, string word)
    {
        var text = Encoding.UTF8.GetString(json);
        if (!text.Contains('\\'))
        {
            return text.Contains(word, StringComparison.OrdinalIgnoreCase);
        }

        var unescaped = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                unescaped.Append(text[i]);
            }
            else if (text[i + 1] == 'u' && i + 5 < text.Length && ushort.TryParse(text.AsSpan(i + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var code))
            {
                unescaped.Append((char)code);
                i += 5;
            }
            else
            {
                // \/, \", \\ and the letters of \n, \t...: what follows the backslash stands for itself here.
                unescaped.Append(text[++i]);
            }
        }

        return unescaped.ToString().Contains(word, StringComparison.OrdinalIgnoreCase);
    }
}
