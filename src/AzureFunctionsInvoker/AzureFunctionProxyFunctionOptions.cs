namespace AzureFunctionsInvoker;

/// <summary>
/// One function of an app mount, an entry of <see cref="AzureFunctionProxyOptions.Functions"/>: what it sends instead
/// of the app's settings. Every other option is the app's.
/// </summary>
public sealed class AzureFunctionProxyFunctionOptions
{
    /// <summary>
    /// The function's own key, sent as <c>x-functions-key</c> instead of the app's <see cref="AzureFunctionProxyOptions.ApiKey"/>.
    /// Unset, the app's key is sent (a host key serves every function). It never appears in logs or error responses.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The function's own client id, sent as <c>x-functions-clientid</c> instead of the app's
    /// <see cref="AzureFunctionProxyOptions.ClientId"/>. Unset, the app's is sent.
    /// </summary>
    public string? ClientId { get; set; }

    internal AzureFunctionProxyFunctionOptions Clone() => (AzureFunctionProxyFunctionOptions)MemberwiseClone();

    internal static bool HaveSameValues(AzureFunctionProxyFunctionOptions? function, AzureFunctionProxyFunctionOptions? other) =>
        function?.ApiKey == other?.ApiKey && function?.ClientId == other?.ClientId;
}
