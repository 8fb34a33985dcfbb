using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// The log lines of what a function is: risky settings when its options are read, and reloads. Event ids are unique across the library's log classes.
/// </summary>
internal static partial class FunctionsLog
{
    [LoggerMessage(1, LogLevel.Warning, "Certificate validation is off for the Azure Function '{ProxyName}' at {Authority} (HttpsVerify = false): its function key goes to whoever answers.", EventName = "HttpsVerifyDisabled")]
    public static partial void HttpsVerifyDisabled(ILogger logger, string proxyName, string authority);

    [LoggerMessage(11, LogLevel.Warning, "The function key for the Azure Function '{ProxyName}' is sent unencrypted to {Authority} (Https = false).", EventName = "KeyOverHttp")]
    public static partial void KeyOverHttp(ILogger logger, string proxyName, string authority);

    [LoggerMessage(12, LogLevel.Error, "The reloaded options of the Azure Function '{ProxyName}' are invalid and were not applied; requests keep using the last valid options. {Failures}", EventName = "ReloadRejected")]
    public static partial void ReloadRejected(ILogger logger, string proxyName, string failures);

    [LoggerMessage(13, LogLevel.Information, "The reloaded options of the Azure Function '{ProxyName}' apply from the next request on: its requests go to {FunctionUrl}.", EventName = "Reloaded")]
    public static partial void Reloaded(ILogger logger, string proxyName, string functionUrl);

    [LoggerMessage(17, LogLevel.Warning, "The Azure Function '{ProxyName}' is called at {Host}: its AppName holds a dot, and the default HostDomain was added to it. If AppName is the whole host name, set {HostDomainKey} to empty to use {AppName} as is.", EventName = "HostDomainAppended")]
    public static partial void HostDomainAppended(ILogger logger, string proxyName, string host, string appName, string hostDomainKey);
}
