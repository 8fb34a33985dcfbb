using System.Globalization;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// The settings an <c>AppName</c> written as a URL, or with a path or a port, stands for: the host it names (as
/// <c>AppName</c> wants it beside the <c>HostDomain</c> set), and the scheme and port it gave. A hint built from it
/// names the user's own app, not a fixed example. Only the host, a port number and the scheme are ever shown: never
/// user info, a path or a query, where a key may be; and a host that is no valid host name gives no hint at all.
/// </summary>
internal static class AppNameHint
{
    /// <summary>
    /// The settings to write instead of <paramref name="appName"/>, as a list to follow "set": <c>AppName to 'myapp'</c>
    /// (<c>'myapp.azurewebsites.net'</c> when <paramref name="hostDomain"/> is empty), then <c>HostDomain to empty</c>
    /// for a host outside the domain, <c>Https to false</c> for an <c>http</c> URL and <c>Port to 7071</c> for a port.
    /// Returns <see langword="null"/> when <paramref name="appName"/> names no valid host.
    /// </summary>
    public static string? For(string appName, string? hostDomain)
    {
        var rest = appName.AsSpan().Trim();
        var http = false;
        var schemeEnd = rest.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            http = rest[..schemeEnd].Equals("http", StringComparison.OrdinalIgnoreCase);
            rest = rest[(schemeEnd + 3)..];
        }

        var authorityEnd = rest.IndexOfAny('/', '?', '#');
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        if (!TrySplitPort(authority, out var host, out var port) || !HostNames.IsValid(host))
        {
            return null;
        }

        var settings = new List<string>(4);
        if (string.IsNullOrEmpty(hostDomain))
        {
            settings.Add($"AppName to '{host}'");
        }
        else if (host.Length > hostDomain.Length + 1 && host.EndsWith("." + hostDomain, StringComparison.OrdinalIgnoreCase))
        {
            settings.Add($"AppName to '{host[..^(hostDomain.Length + 1)]}'");
        }
        else
        {
            settings.Add($"AppName to '{host}'");

            // A host of its own, not an app in the domain: the whole host name.
            if (host.Contains('.', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal))
            {
                settings.Add("HostDomain to empty");
            }
        }

        if (http)
        {
            settings.Add("Https to false");
        }

        if (port is not null)
        {
            settings.Add(string.Create(CultureInfo.InvariantCulture, $"Port to {port}"));
        }

        return settings.Count == 1 ? settings[0] : $"{string.Join(", ", settings[..^1])} and {settings[^1]}";
    }

    // host, host:port, [v6] or [v6]:port; a bare IPv6 address (several colons) has no port.
    private static bool TrySplitPort(ReadOnlySpan<char> authority, out string host, out int? port)
    {
        host = authority.ToString();
        port = null;
        ReadOnlySpan<char> portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = authority[1..close].ToString();
            portText = authority[(close + 1)..];
            if (portText.IsEmpty)
            {
                return true;
            }

            if (portText[0] != ':')
            {
                return false;
            }

            portText = portText[1..];
        }
        else if (authority.Count(':') == 1)
        {
            var colon = authority.IndexOf(':');
            host = authority[..colon].ToString();
            portText = authority[(colon + 1)..];
        }
        else
        {
            return true;
        }

        if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535)
        {
            port = number;
            return true;
        }

        // An empty port ("myapp:") is no port; anything else is not one the options could take.
        return portText.IsEmpty;
    }
}
