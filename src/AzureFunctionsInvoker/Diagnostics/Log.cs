using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Diagnostics;

/// <summary>
/// Every log line of the library, with its stable event id, in one class below every layer that logs: the
/// source-generated logging code of several classes comes out in a different order from one build to the next,
/// which would break the deterministic build. No message takes a header value or a body, and no exception is logged
/// above Debug: the function key cannot reach a log at any level. Addresses are logged without their query
/// (<see cref="UrlWithoutQuery"/>), which may hold a caller's secrets.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Certificate validation is off for the Azure Function '{ProxyName}' at {Authority} (HttpsVerify = false): its function key goes to whoever answers.", EventName = "HttpsVerifyDisabled")]
    public static partial void HttpsVerifyDisabled(ILogger logger, string proxyName, string authority);

    [LoggerMessage(2, LogLevel.Debug, "Forwarding a {Method} request to {Url} (Azure Function '{ProxyName}').", EventName = "Forwarding")]
    public static partial void Forwarding(ILogger logger, HttpMethod method, UrlWithoutQuery url, string proxyName);

    [LoggerMessage(3, LogLevel.Debug, "Refused a request whose path could leave the function's route (a dot segment, a backslash or an undecodable escape).", EventName = "UnsafePath")]
    public static partial void UnsafePath(ILogger logger);

    [LoggerMessage(4, LogLevel.Information, "Refused a request body larger than MaxRequestBodySize ({MaxRequestBodySize} bytes).", EventName = "RequestBodyTooLarge")]
    public static partial void RequestBodyTooLarge(ILogger logger, long? maxRequestBodySize);

    [LoggerMessage(5, LogLevel.Information, "Reading the caller's request body failed.", EventName = "RequestBodyFailed")]
    public static partial void RequestBodyFailed(ILogger logger, Exception? exception);

    [LoggerMessage(6, LogLevel.Debug, "The caller went away; the call to the function was cancelled.", EventName = "CallerAborted")]
    public static partial void CallerAborted(ILogger logger, Exception? exception);

    [LoggerMessage(7, LogLevel.Warning, "No response from the Azure Function '{FunctionName}' at {Endpoint}: {Cause}.", EventName = "FunctionUnreachable")]
    public static partial void FunctionUnreachable(ILogger logger, string functionName, string endpoint, string cause);

    [LoggerMessage(8, LogLevel.Warning, "The Azure Function '{FunctionName}' at {Endpoint} did not complete a step within Timeout ({Timeout} ms).", EventName = "FunctionTimedOut")]
    public static partial void FunctionTimedOut(ILogger logger, string functionName, string endpoint, int timeout);

    [LoggerMessage(9, LogLevel.Warning, "The Azure Function '{FunctionName}' at {Endpoint} failed while sending its response body: {Cause}.", EventName = "ResponseBodyFailed")]
    public static partial void ResponseBodyFailed(ILogger logger, string functionName, string endpoint, string cause);

    [LoggerMessage(10, LogLevel.Warning, "Dropped the response header '{HeaderName}' of the Azure Function: the server refused its value.", EventName = "ResponseHeaderDropped")]
    public static partial void ResponseHeaderDropped(ILogger logger, string headerName);

    [LoggerMessage(11, LogLevel.Warning, "The function key for the Azure Function '{ProxyName}' is sent unencrypted to {Authority} (Https = false).", EventName = "KeyOverHttp")]
    public static partial void KeyOverHttp(ILogger logger, string proxyName, string authority);

    [LoggerMessage(12, LogLevel.Error, "The reloaded options of the Azure Function '{ProxyName}' are invalid and were not applied; requests keep using the last valid options. {Failures}", EventName = "ReloadRejected")]
    public static partial void ReloadRejected(ILogger logger, string proxyName, string failures);

    [LoggerMessage(13, LogLevel.Information, "The reloaded options of the Azure Function '{ProxyName}' apply from the next request on: its requests go to {FunctionUrl}.", EventName = "Reloaded")]
    public static partial void Reloaded(ILogger logger, string proxyName, string functionUrl);

    [LoggerMessage(14, LogLevel.Debug, "Refused a {Method} request with 405: the method is never forwarded.", EventName = "MethodNotAllowed")]
    public static partial void MethodNotAllowed(ILogger logger, string method);

    [LoggerMessage(15, LogLevel.Debug, "Refused a request with 400: a header value holds a control character.", EventName = "RequestHeaderInvalid")]
    public static partial void RequestHeaderInvalid(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "The Azure Function '{FunctionName}' at {Endpoint} answered {StatusCode}, an informational status that cannot be forwarded; the caller gets 502.", EventName = "InformationalResponse")]
    public static partial void InformationalResponse(ILogger logger, string functionName, string endpoint, int statusCode);

    [LoggerMessage(17, LogLevel.Warning, "The Azure Function '{ProxyName}' is called at {Host}: its AppName holds a dot, and the default HostDomain was added to it. If AppName is the whole host name, set {HostDomainKey} to empty to use {AppName} as is.", EventName = "HostDomainAppended")]
    public static partial void HostDomainAppended(ILogger logger, string proxyName, string host, string appName, string hostDomainKey);

    [LoggerMessage(18, LogLevel.Information, "Mounted {MountPoint} -> {FunctionUrl} (Azure Function '{ProxyName}').", EventName = "Mounted")]
    public static partial void Mounted(ILogger logger, string mountPoint, string functionUrl, string proxyName);

    [LoggerMessage(19, LogLevel.Debug, "Refused a request with 404: the app mount exposes no function by the name in its path.", EventName = "FunctionNotFound")]
    public static partial void FunctionNotFound(ILogger logger);

    [LoggerMessage(20, LogLevel.Warning, "The circuit of the backend {Endpoint} of the Azure Function '{ProxyName}' opened ({Reason}): no request goes to it for {BreakDuration} ms unless every backend is out.", EventName = "CircuitOpened")]
    public static partial void CircuitOpened(ILogger logger, string proxyName, string endpoint, string reason, long breakDuration);

    [LoggerMessage(21, LogLevel.Information, "The circuit of the backend {Endpoint} of the Azure Function '{ProxyName}' closed: it answered a trial request.", EventName = "CircuitClosed")]
    public static partial void CircuitClosed(ILogger logger, string proxyName, string endpoint);

    [LoggerMessage(22, LogLevel.Information, "An attempt at the Azure Function '{FunctionName}' at {Endpoint} failed ({Cause}) before anything reached the caller; the request goes to its next backend.", EventName = "FailedOver")]
    public static partial void FailedOver(ILogger logger, string functionName, string endpoint, string cause);

    [LoggerMessage(23, LogLevel.Debug, "Refused a {Method} request to a Durable link of the Azure Function '{FunctionName}' with 404: its token does not read (tampered with, expired, or made for another function or app), or what follows it is no operation.", EventName = "DurableLinkInvalid")]
    public static partial void DurableLinkInvalid(ILogger logger, string method, string functionName);

    /// <summary>Logs that an event stream of <paramref name="proxyName"/> was ended as the host stops.</summary>
    [LoggerMessage(24, LogLevel.Information, "Ended an event stream of the Azure Function '{ProxyName}': the host is stopping, and its shutdown timeout is about to cut the stream off.", EventName = "EventStreamEnded")]
    public static partial void EventStreamEnded(ILogger logger, string proxyName);

    [LoggerMessage(25, LogLevel.Debug, "The exception behind the failure above of the Azure Function '{FunctionName}' at {Endpoint} ({Cause}).", EventName = "FunctionFailureDetail")]
    public static partial void FunctionFailureDetail(ILogger logger, string functionName, string endpoint, string cause, Exception exception);

    [LoggerMessage(40, LogLevel.Information, "Functions proxy '{ProxyName}': {Route} ({Methods}) -> {Backend}.", EventName = "ProxyMapped")]
    public static partial void ProxyMapped(ILogger logger, string proxyName, string route, string methods, string backend);

    [LoggerMessage(41, LogLevel.Information, "The edited {File} applies from the next request on: {Count} proxies.", EventName = "ProxiesReloaded")]
    public static partial void ProxiesReloaded(ILogger logger, string file, int count);

    [LoggerMessage(42, LogLevel.Error, "The edited {File} is invalid and was not applied; requests keep using the proxies loaded before. {Failure}", EventName = "ProxiesReloadRejected")]
    public static partial void ProxiesReloadRejected(ILogger logger, string file, string failure);
    [LoggerMessage(30, LogLevel.Error, "A request body for the Azure Function '{FunctionName}' came without a length and could not be buffered to be sent with one: its temporary file could not be written ({Cause}). The caller got 503.", EventName = "RequestBodyBufferFailed")]
    public static partial void RequestBodyBufferFailed(ILogger logger, string functionName, string cause);

    [LoggerMessage(31, LogLevel.Warning, "A request to the Azure Function '{FunctionName}' at {Endpoint} waited Timeout ({Timeout} ms) for one of its MaxConnectionsPerBackend ({MaxConnections}) connections, all busy, and got 503 (connection_budget_exhausted).", EventName = "ConnectionBudgetExhausted")]
    public static partial void ConnectionBudgetExhausted(ILogger logger, string functionName, string endpoint, int maxConnections, int timeout);

    [LoggerMessage(32, LogLevel.Warning, "The backend {Endpoint} of the Azure Function '{ProxyName}' does not offer HTTP/2 (HttpVersion = 2): its requests go over HTTP/1.1. Turn HTTP/2 on for the Function App (http20Enabled), or set HttpVersion to 1.1. Logged once per backend.", EventName = "Http2FallBack")]
    public static partial void Http2FallBack(ILogger logger, string proxyName, string endpoint);

    /// <summary>
    /// A request's address as a log line shows it: scheme, host, port and path, without the query, which may hold a
    /// caller's secrets (a token, a signature). A struct that formats only when a line is written, so a request logged
    /// at a disabled level costs no string.
    /// </summary>
    /// <param name="url">An address the proxy built, whose first <c>?</c> starts its query (the path cannot hold one).</param>
    public readonly struct UrlWithoutQuery(Uri url)
    {
        public override string ToString()
        {
            var address = url.OriginalString;
            var query = address.IndexOf('?', StringComparison.Ordinal);
            return query < 0 ? address : address[..query];
        }
    }
}
