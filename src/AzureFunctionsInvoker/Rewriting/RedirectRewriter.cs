namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// Maps a <c>Location</c> or <c>Content-Location</c> on the function's own route onto the mount: an absolute URL on the
/// origin the request went to becomes one on the caller's scheme, host, path base and mount; a path-absolute reference
/// becomes path-absolute under the mount. The rest of the path, the query and the fragment are kept as written, except
/// that ASCII tabs and newlines are removed (as browsers remove them) and a path-absolute result never starts with
/// <c>//</c> or <c>/\</c> (a reference to another host).
/// </summary>
internal static class RedirectRewriter
{
    private static readonly char[] s_removedByBrowsers = ['\t', '\n', '\r'];

    /// <summary>The reference as the caller should see it; <see langword="null"/> when it is not on the function's route.</summary>
    public static string? Rewrite(string value, in RewriteScope scope)
    {
        if (!scope.TrySplit(value, pathAbsolute: true, out var isAbsolute, out var path, out var tail)
            || !scope.TryGetBelowRoute(path, out var rest))
        {
            return null;
        }

        var mount = isAbsolute ? scope.MountAddress : scope.MountPath;

        // A mount at the root of a path-absolute reference still needs its slash.
        if (!isAbsolute && mount.Length == 0 && rest.IsEmpty)
        {
            rest = "/";
        }

        // Browsers remove every ASCII tab and newline from a URL before reading it (WHATWG URL), so "/\t/host" is "//host":
        // the reference is judged, and handed on, as they will read it.
        var reference = string.Concat(mount, rest, tail);
        if (reference.AsSpan().ContainsAny(s_removedByBrowsers))
        {
            reference = string.Concat(reference.Split(s_removedByBrowsers));
        }

        // At a root mount the rest starts the reference: "//host" and "/\\host" would name another host (browsers read a
        // backslash as a slash), so the second character is percent-encoded and the reference stays on the caller's host.
        if (!isAbsolute && reference.Length > 1 && reference[1] is '/' or '\\')
        {
            return string.Concat("/", reference[1] == '/' ? "%2F" : "%5C", reference.AsSpan(2));
        }

        return reference;
    }
}
