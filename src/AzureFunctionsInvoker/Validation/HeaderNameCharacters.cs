using System.Buffers;

namespace AzureFunctionsInvoker.Validation;

/// <summary>What a configured header name may be: an RFC 9110 token, and not one of the headers the proxy owns.</summary>
internal static class HeaderNameCharacters
{
    private static readonly SearchValues<char> s_token = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~");

    private static readonly string[] s_ownedByProxy = ["x-functions-key", "x-functions-clientid", "Host"];

    /// <summary>Whether <paramref name="name"/> is a non-empty token (RFC 9110 5.6.2).</summary>
    public static bool IsToken(string? name) => !string.IsNullOrEmpty(name) && !name.AsSpan().ContainsAnyExcept(s_token);

    /// <summary>Whether the proxy sets <paramref name="name"/> itself: the key, the client id, <c>Host</c> and <c>X-Forwarded-*</c>.</summary>
    public static bool IsOwnedByProxy(string name) =>
        name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
        || s_ownedByProxy.Contains(name, StringComparer.OrdinalIgnoreCase);
}
