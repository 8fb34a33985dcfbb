using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// What a host in the options may be: a DNS name of letters, digits and hyphens (RFC 1123: labels of 1 to 63
/// characters, 253 in all), a dotted-quad IPv4 address, or an IPv6 address without brackets.
/// </summary>
internal static class HostNames
{
    /// <summary>The host name the options name: <c>AppName.HostDomain</c>, or <c>AppName</c> alone when the domain is empty.</summary>
    public static string Of(AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrEmpty(options.HostDomain) ? options.AppName : $"{options.AppName}.{options.HostDomain}";
    }

    /// <summary>
    /// Whether <c>AppName</c> may be a whole host name the default <c>HostDomain</c> was added to by mistake
    /// (<c>myapp.example.com</c> called at <c>myapp.example.com.azurewebsites.net</c>). A warning, not a failure: an
    /// App Service Environment's apps do live at <c>myapp.myase.p.azurewebsites.net</c>.
    /// </summary>
    public static bool MayBeWholeHost(AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AppName.Contains('.', StringComparison.Ordinal)
            && string.Equals(options.HostDomain, AzureFunctionProxyOptions.DefaultHostDomain, StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsValid(string host)
    {
        if (host.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        if (host.Length is 0 or > 253)
        {
            return false;
        }

        var labels = host.Split('.');
        return labels.All(IsNumeric) ? IsIPv4(labels) : labels.All(IsDnsLabel);
    }

    private static bool IsNumeric(string label) => label.Length > 0 && label.All(char.IsAsciiDigit);

    // Only the canonical form: "1.2.3" and "010.0.0.1" mean different addresses to different parsers.
    private static bool IsIPv4(string[] labels) =>
        labels.Length == 4
        && labels.All(l => l.Length <= 3 && (l.Length == 1 || l[0] != '0') && int.Parse(l, CultureInfo.InvariantCulture) <= 255);

    private static bool IsDnsLabel(string label) =>
        label.Length is >= 1 and <= 63
        && label[0] != '-'
        && label[^1] != '-'
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
