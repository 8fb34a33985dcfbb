namespace AzureFunctionsInvoker;

/// <summary>
/// One Function App serving a function beside others (a region, a plan), in <see cref="AzureFunctionProxyOptions.Backends"/>.
/// A key left unset is the function's own: an entry with only <see cref="AppName"/> uses the function's
/// <c>HostDomain</c>, <c>Port</c>, <c>Https</c>, <c>ApiKey</c> and <c>ClientId</c>.
/// </summary>
public sealed class AzureFunctionProxyBackend
{
    /// <summary>The Function App's name, as <see cref="AzureFunctionProxyOptions.AppName"/>; unset for the function's own.</summary>
    public string? AppName { get; set; }

    /// <summary>The domain the Function App lives in, as <see cref="AzureFunctionProxyOptions.HostDomain"/>; unset for the function's own.</summary>
    public string? HostDomain { get; set; }

    /// <summary>The port of the Function App, 1 to 65535, as <see cref="AzureFunctionProxyOptions.Port"/>; unset for the function's own.</summary>
    public int? Port { get; set; }

    /// <summary>Whether the Function App is called over HTTPS, as <see cref="AzureFunctionProxyOptions.Https"/>; unset for the function's own.</summary>
    public bool? Https { get; set; }

    /// <summary>This Function App's function key, sent to it alone, as <see cref="AzureFunctionProxyOptions.ApiKey"/>; unset for the function's own.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The client id sent to this Function App, as <see cref="AzureFunctionProxyOptions.ClientId"/>; unset for the function's own.</summary>
    public string? ClientId { get; set; }

    /// <summary>The HTTP version spoken to this Function App, <c>1.1</c> or <c>2</c>, as <see cref="AzureFunctionProxyOptions.HttpVersion"/>; unset for the function's own.</summary>
    public string? HttpVersion { get; set; }

    /// <summary>
    /// The backend's priority group: requests go to the lowest <c>Priority</c> that has a backend whose circuit is not
    /// open. At least 1; defaults to 1.
    /// </summary>
    public int Priority { get; set; } = 1;

    /// <summary>
    /// The backend's share of its priority group's requests, by smooth weighted round-robin: weights 3 and 1 give 3 of
    /// every 4 requests to the first. 1 to 100; defaults to 1.
    /// </summary>
    public int Weight { get; set; } = 1;

    internal AzureFunctionProxyBackend Clone() => (AzureFunctionProxyBackend)MemberwiseClone();

    internal bool HasSameValues(AzureFunctionProxyBackend other) =>
        AppName == other.AppName
        && HostDomain == other.HostDomain
        && Port == other.Port
        && Https == other.Https
        && ApiKey == other.ApiKey
        && ClientId == other.ClientId
        && HttpVersion == other.HttpVersion
        && Priority == other.Priority
        && Weight == other.Weight;
}
