using System.Text;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The first segment of a path as the most lenient server could name it, to judge a name the proxy reserves (the
/// Durable links segment) as an app mount judges a function name: empty segments skipped (<c>//x</c> is <c>/x</c> to a
/// server that merges slashes), percent-decoded and NFKC-folded until nothing changes (<see cref="PathSafety.Decode"/>:
/// <c>%5F</c>, <c>%255F</c>, a fullwidth <c>＿</c>), cut at a decoded slash, <c>;</c> parameters dropped (Tomcat, Jetty),
/// trailing dots and white space trimmed (IIS), compared case-insensitively.
/// </summary>
internal static class LenientSegment
{
    /// <summary>Whether the first non-empty segment of <paramref name="path"/>, so read, is <paramref name="name"/>.</summary>
    public static bool Names(ReadOnlySpan<char> path, string name)
    {
        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        var segment = end < 0 ? path : path[..end];

        // Plain ASCII with no escape reads as it is written (NFKC leaves ASCII alone): judged without a string, as
        // nearly every request's first segment is.
        if (Ascii.IsValid(segment) && !segment.Contains('%'))
        {
            var cut = segment.IndexOf(';');
            return (cut < 0 ? segment : segment[..cut]).TrimEnd(". \t").Equals(name, StringComparison.OrdinalIgnoreCase);
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
        name = (cut < 0 ? name : name[..cut]).TrimEnd(". \t");
        return name.IsEmpty ? null : name.ToString();
    }
}
