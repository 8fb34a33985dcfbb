namespace AzureFunctionsInvoker.Forwarding;

/// <summary>What went wrong while forwarding one request; <see cref="ForwarderErrorResponse"/> maps each kind to what the caller sees.</summary>
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
    RequestBody,

    /// <summary>The caller went away; there is nobody left to answer.</summary>
    CallerAborted,

    /// <summary>No response from the function: connection, DNS or TLS failure, or not HTTP.</summary>
    FunctionUnreachable,

    /// <summary>The function did not answer a step within <see cref="AzureFunctionProxyOptions.Timeout"/> before its response started.</summary>
    FunctionTimeout,

    /// <summary>The function failed or stalled while sending its response body.</summary>
    ResponseBody,

    /// <summary>The function answered with a 1xx status the client surfaced (<c>101 Switching Protocols</c>): nothing a caller can be given.</summary>
    InformationalResponse,
}
