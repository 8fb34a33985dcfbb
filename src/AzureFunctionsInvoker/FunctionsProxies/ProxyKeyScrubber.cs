using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Keeps a <c>backendUri</c>'s <c>code</c> out of the response head. The key travels in the address, and a backend
/// that answers with its own address (a redirect adding a slash, a <c>Content-Location</c>) hands it back; names alone
/// cannot strip it, as they strip <c>x-functions-key</c>. A header whose value holds the key, in any percent-encoding,
/// is removed.
/// </summary>
internal static class ProxyKeyScrubber
{
    /// <summary>Removes from <paramref name="headers"/> every header whose value holds <paramref name="key"/>.</summary>
    public static void Remove(IHeaderDictionary headers, string key)
    {
        List<string>? holding = null;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                if (value is not null && Holds(value, key))
                {
                    (holding ??= []).Add(name);
                    break;
                }
            }
        }

        if (holding is not null)
        {
            foreach (var name in holding)
            {
                headers.Remove(name);
            }
        }
    }

    private static bool Holds(string value, string key) =>
        value.Contains(key, StringComparison.Ordinal)
        || (value.Contains('%') && Uri.UnescapeDataString(value).Contains(key, StringComparison.Ordinal));
}
