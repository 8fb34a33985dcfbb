using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// The log lines of failover: circuits opening and closing, attempts moving on to the next backend. Event ids are unique across the library's log classes.
/// </summary>
internal static partial class FailoverLog
{
    [LoggerMessage(20, LogLevel.Warning, "The circuit of the backend {Endpoint} of the Azure Function '{ProxyName}' opened ({Reason}): no request goes to it for {BreakDuration} ms unless every backend is out.", EventName = "CircuitOpened")]
    public static partial void CircuitOpened(ILogger logger, string proxyName, string endpoint, string reason, long breakDuration);

    [LoggerMessage(21, LogLevel.Information, "The circuit of the backend {Endpoint} of the Azure Function '{ProxyName}' closed: it answered a trial request.", EventName = "CircuitClosed")]
    public static partial void CircuitClosed(ILogger logger, string proxyName, string endpoint);

    [LoggerMessage(22, LogLevel.Information, "An attempt at the Azure Function '{FunctionName}' at {Endpoint} failed ({Cause}) before anything reached the caller; the request goes to its next backend.", EventName = "FailedOver")]
    public static partial void FailedOver(ILogger logger, string functionName, string endpoint, string cause);
}
