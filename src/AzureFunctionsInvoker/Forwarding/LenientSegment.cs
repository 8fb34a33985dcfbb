namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The first segment of a path as the most lenient server could name it, to judge a name the proxy reserves (the
/// Durable links segment) as an app mount judges a function name: empty segments skipped (<c>//x</c> is <c>/x</c> to a
/// server that merges slashes), percent-decoded and NFKC-folded until nothing changes (<see cref="PathSafety.Decode"/>:
/// <c>%5F</c>, <c>%255F</c>, a fullwidth <c>＿</c>), cut at a decoded slash, <c>;</c> parameters dropped (Tomcat, Jetty),
/// trailing dots and white space trimmed (IIS). The caller compares it case-insensitively.
/// </summary>
internal static class LenientSegment
{
    /// <summary>The first non-empty segment of <paramref name="path"/> so read; <see langword="null"/> when there is none or it cannot be decoded.</summary>
    public static string? First(ReadOnlySpan<char> path)
    {
        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        if (PathSafety.Decode((end < 0 ? path : path[..end]).ToString()) is not { } decoded)
        {
            return null;
        }

        var name = decoded.AsSpan().TrimStart('/');
        var cut = name.IndexOfAny('/', ';');
        name = (cut < 0 ? name : name[..cut]).TrimEnd(". \t");
        return name.IsEmpty ? null : name.ToString();
    }
}
