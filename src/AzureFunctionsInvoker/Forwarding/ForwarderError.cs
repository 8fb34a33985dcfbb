namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What went wrong while forwarding one request. <see cref="ForwarderErrors"/> gives each kind its status, problem
/// text, log event (named like the kind) and telemetry <c>error.type</c>, in one table.
/// </summary>
internal enum ForwarderError
{
    /// <summary>The function's response was forwarded whole.</summary>
    None,

    /// <summary>The path below the mount point could leave the function's route.</summary>
    UnsafePath,

    /// <summary>The method is never forwarded: <c>TRACE</c> would reflect the function key, <c>CONNECT</c> asks for a tunnel.</summary>
    MethodNotAllowed,

    /// <summary>A request header value holds a control character other than HTAB (RFC 9110 5.5).</summary>
    RequestHeaderInvalid,

    /// <summary>The request body is larger than <see cref="AzureFunctionProxyOptions.MaxRequestBodySize"/>.</summary>
    RequestBodyTooLarge,

    /// <summary>Reading the caller's request body failed (malformed framing, a client that stopped sending).</summary>
    RequestBodyFailed,

    /// <summary>A request body sent without a length could not be buffered: its temporary file could not be written (disk full, no permission).</summary>
    RequestBodyBufferFailed,

    /// <summary>The caller went away; there is nobody left to answer.</summary>
    CallerAborted,

    /// <summary>No response from the function: connection, DNS or TLS failure, not HTTP, or a handler of the app's that threw.</summary>
    FunctionUnreachable,

    /// <summary>The function did not complete a step within <see cref="AzureFunctionProxyOptions.Timeout"/>.</summary>
    FunctionTimedOut,

    /// <summary>No connection to the backend came free within <see cref="AzureFunctionProxyOptions.Timeout"/>: its <see cref="AzureFunctionProxyOptions.MaxConnectionsPerBackend"/> were all busy.</summary>
    ConnectionBudgetExhausted,

    /// <summary>The function's response body failed, stalled or had no trustworthy length.</summary>
    ResponseBodyFailed,

    /// <summary>The function answered with a 1xx status the client surfaced (<c>101 Switching Protocols</c>): nothing a caller can be given.</summary>
    InformationalResponse,

    /// <summary>The app mount exposes no function by the name the request's path gives (as the caller encoded it).</summary>
    FunctionNotFound,

    /// <summary>A Durable link's token does not read (tampered with, expired, another function's or app's), or what follows it is no operation.</summary>
    DurableLinkInvalid,
}
