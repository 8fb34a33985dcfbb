using AzureFunctionsInvoker.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The one table of what each <see cref="ForwarderError"/> means: the caller's status and problem text, the log event
/// and the telemetry <c>error.type</c>. The error response, the forwarder, the mount and the telemetry all read it, so
/// a new kind cannot be half-handled (a test walks every value).
/// </summary>
internal static class ForwarderErrors
{
    private const string BadRequest = "Bad Request";
    private const string BadGateway = "Bad Gateway";

    private static readonly ForwarderErrorEntry[] s_entries = Build();

    /// <summary>The row of <paramref name="error"/>.</summary>
    public static ForwarderErrorEntry Describe(ForwarderError error) => s_entries[(int)error];

    /// <summary>Logs <paramref name="error"/> as its row says, and returns it.</summary>
    public static ForwarderError Report(ILogger logger, ForwarderError error, ForwarderFailure failure)
    {
        Describe(error).Log?.Invoke(logger, failure);
        return error;
    }

    /// <summary>
    /// Logs a function's failure as one line, by <paramref name="log"/>, naming its cause; the exception, with its
    /// stack, follows only at Debug.
    /// </summary>
    public static void WithDetail(ILogger logger, ForwarderFailure failure, Action<ILogger, ForwarderFailure, string> log)
    {
        var cause = FailureCause.Of(failure);
        log(logger, failure, cause);
        if (failure.Exception is { } exception)
        {
            Log.FunctionFailureDetail(logger, failure.Options.FunctionName, failure.Endpoint, cause, exception);
        }
    }

    private static ForwarderErrorEntry[] Build()
    {
        var rows = new Dictionary<ForwarderError, ForwarderErrorEntry>
        {
            [ForwarderError.None] = new(0, string.Empty, string.Empty, null, null),
            [ForwarderError.UnsafePath] = new(
                StatusCodes.Status400BadRequest, BadRequest, "The request path cannot be forwarded to the function.", "unsafe_path",
                static (logger, _) => Log.UnsafePath(logger)),
            [ForwarderError.FunctionNotFound] = new(
                StatusCodes.Status404NotFound, "Not Found", "No function by that name is served here.", "function_not_found",
                static (logger, _) => Log.FunctionNotFound(logger)),
            [ForwarderError.MethodNotAllowed] = new(
                StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", "The request method cannot be forwarded to the function.", "method_not_allowed",
                static (logger, failure) => Log.MethodNotAllowed(logger, failure.Method)),
            [ForwarderError.RequestHeaderInvalid] = new(
                StatusCodes.Status400BadRequest, BadRequest, "A request header value holds a control character.", "request_header_invalid",
                static (logger, _) => Log.RequestHeaderInvalid(logger)),
            [ForwarderError.RequestBodyTooLarge] = new(
                StatusCodes.Status413PayloadTooLarge, "Content Too Large", "The request body is larger than the function accepts.", "request_body_too_large",
                static (logger, failure) => Log.RequestBodyTooLarge(logger, failure.Options.MaxRequestBodySize)),
            [ForwarderError.RequestBodyFailed] = new(
                StatusCodes.Status400BadRequest, BadRequest, "The request body could not be read.", "request_body",
                static (logger, failure) => Log.RequestBodyFailed(logger, failure.Exception)),
            [ForwarderError.RequestBodyBufferFailed] = new(
                StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The request body could not be buffered: the proxy could not write its temporary file.", "request_body_buffer",
                static (logger, failure) => Log.RequestBodyBufferFailed(logger, failure.Options.FunctionName, RequestBodyBuffer.CauseOf(failure.Exception))),
            [ForwarderError.CallerAborted] = new(
                0, string.Empty, string.Empty, "caller_aborted",
                static (logger, failure) => Log.CallerAborted(logger, failure.Exception)),
            [ForwarderError.FunctionUnreachable] = new(
                StatusCodes.Status502BadGateway, BadGateway, "The function could not be reached.", "function_unreachable",
                static (logger, failure) => WithDetail(logger, failure, static (logger, failure, cause) => Log.FunctionUnreachable(logger, failure.Options.FunctionName, failure.Endpoint, cause))),
            [ForwarderError.FunctionTimedOut] = new(
                StatusCodes.Status504GatewayTimeout, "Gateway Timeout", "The function did not answer in time.", "timeout",
                static (logger, failure) => WithDetail(logger, failure, static (logger, failure, _) => Log.FunctionTimedOut(logger, failure.Options.FunctionName, failure.Endpoint, failure.Options.Timeout))),
            [ForwarderError.ConnectionBudgetExhausted] = new(
                StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "No connection to the function came free in time: its connection budget is spent (connection_budget_exhausted).", "connection_budget_exhausted",
                static (logger, failure) => Log.ConnectionBudgetExhausted(logger, failure.Options.FunctionName, failure.Endpoint, failure.Options.MaxConnectionsPerBackend ?? 0, failure.Options.Timeout)),
            [ForwarderError.ResponseBodyFailed] = new(
                StatusCodes.Status502BadGateway, BadGateway, "The function's response failed.", "response_body",
                static (logger, failure) => WithDetail(logger, failure, static (logger, failure, cause) => Log.ResponseBodyFailed(logger, failure.Options.FunctionName, failure.Endpoint, cause))),
            [ForwarderError.InformationalResponse] = new(
                StatusCodes.Status502BadGateway, BadGateway, "The function answered with a status that cannot be forwarded.", "informational_response",
                static (logger, failure) => Log.InformationalResponse(logger, failure.Options.FunctionName, failure.Endpoint, failure.StatusCode)),
            [ForwarderError.DurableLinkInvalid] = new(
                StatusCodes.Status404NotFound, "Not Found", "The link is not valid here, or has expired.", "durable_link_invalid",
                static (logger, failure) => Log.DurableLinkInvalid(logger, failure.Method, failure.Options.FunctionName)),
        };

        var values = Enum.GetValues<ForwarderError>();
        var entries = new ForwarderErrorEntry[values.Length];
        foreach (var value in values)
        {
            entries[(int)value] = rows.TryGetValue(value, out var row)
                ? row
                : throw new InvalidOperationException($"ForwarderError.{value} has no row in {nameof(ForwarderErrors)}.");
        }

        return entries;
    }
}
