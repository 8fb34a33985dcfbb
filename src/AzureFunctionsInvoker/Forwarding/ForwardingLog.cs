using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The log lines of one exchange and of the errors of the table <see cref="ForwarderErrors"/>, with stable event ids
/// (every layer logs through its own class: <c>FunctionsLog</c>, <c>FailoverLog</c>, <c>MountLog</c>; ids are unique across them). No message takes a header value or a body, and the
/// exceptions logged come from the transport, whose messages name hosts and ports, never headers: the
/// function key cannot reach a log at any level. Addresses are logged without their query, which may hold a
/// caller's secrets.
/// </summary>
internal static partial class ForwardingLog
{
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

    [LoggerMessage(14, LogLevel.Debug, "Refused a {Method} request with 405: the method is never forwarded.", EventName = "MethodNotAllowed")]
    public static partial void MethodNotAllowed(ILogger logger, string method);

    [LoggerMessage(15, LogLevel.Debug, "Refused a request with 400: a header value holds a control character.", EventName = "RequestHeaderInvalid")]
    public static partial void RequestHeaderInvalid(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "The Azure Function '{FunctionName}' at {Endpoint} answered {StatusCode}, an informational status that cannot be forwarded; the caller gets 502.", EventName = "InformationalResponse")]
    public static partial void InformationalResponse(ILogger logger, string functionName, string endpoint, int statusCode);

    [LoggerMessage(19, LogLevel.Debug, "Refused a request with 404: the app mount exposes no function by the name in its path.", EventName = "FunctionNotFound")]
    public static partial void FunctionNotFound(ILogger logger);

    [LoggerMessage(23, LogLevel.Debug, "Refused a {Method} request to a Durable link of the Azure Function '{FunctionName}' with 404: its token does not read (tampered with, expired, or made for another function or app), or what follows it is no operation.", EventName = "DurableLinkInvalid")]
    public static partial void DurableLinkInvalid(ILogger logger, string method, string functionName);

    [LoggerMessage(25, LogLevel.Debug, "The exception behind the failure above of the Azure Function '{FunctionName}' at {Endpoint} ({Cause}).", EventName = "FunctionFailureDetail")]
    public static partial void FunctionFailureDetail(ILogger logger, string functionName, string endpoint, string cause, Exception exception);
}
