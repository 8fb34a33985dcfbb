using System.Buffers;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// The characters RFC 3986 allows unencoded in a path segment (<c>pchar</c>), less <c>%</c>:
/// configured path parts must mean exactly what they say, with nothing left for a server to decode.
/// </summary>
internal static class PathCharacters
{
    private static readonly SearchValues<char> s_segment = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@");

    public static bool AreAllowedInSegment(ReadOnlySpan<char> segment) => !segment.ContainsAnyExcept(s_segment);
}
