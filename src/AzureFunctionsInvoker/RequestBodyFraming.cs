namespace AzureFunctionsInvoker;

/// <summary>How a request body reaches the function: see <see cref="AzureFunctionProxyOptions.RequestBodyFraming"/>.</summary>
public enum RequestBodyFraming
{
    /// <summary>
    /// Every body goes with a <c>Content-Length</c>: a body whose length the caller gave streams through; one without
    /// (HTTP/1.1 chunked, HTTP/2 without <c>content-length</c>) is read whole first, in memory up to 64 KiB and then
    /// in a temporary file, up to <see cref="AzureFunctionProxyOptions.MaxRequestBodySize"/>. What every worker model
    /// of Azure Functions receives.
    /// </summary>
    ContentLength,

    /// <summary>
    /// A body goes as the caller framed it: a known length streams with its <c>Content-Length</c>, any other body
    /// streams chunked, as it arrives. For functions that read HTTP streams (the isolated worker with ASP.NET Core
    /// integration); out-of-process workers without it receive a chunked body empty.
    /// </summary>
    AsSent,
}
