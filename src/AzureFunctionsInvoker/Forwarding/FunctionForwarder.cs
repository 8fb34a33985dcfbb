using AzureFunctionsInvoker.Diagnostics;
using System.Runtime.CompilerServices;
using AzureFunctionsInvoker.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The exchange: sends one request to one backend (method, headers and the streamed body out) and hands back the
/// response head, writing nothing to the caller; <see cref="ResponseCopier"/> copies that to the caller, and failover
/// decides around it which backend an exchange goes to. It sends through the handler pipeline of its client in
/// <see cref="IHttpClientFactory"/> (the user's handlers, then the pooled connections) with a
/// <see cref="HttpMessageInvoker"/>, as YARP does: an <see cref="HttpClient"/> per request would add its own
/// cancellation source and timeout handling to every forward and give nothing a forwarder uses.
/// </summary>
internal sealed class FunctionForwarder
{
    /// <summary>The name in <see cref="IHttpClientFactory"/> of the client of <c>AddAzureFunctionProxy()</c>.</summary>
    public const string ClientName = "AzureFunctionsInvoker";

    private readonly IHttpMessageHandlerFactory _handlers;
    private readonly string _clientName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Sender? _sender;

    /// <summary>
    /// An exchange through the client <paramref name="clientName"/>.
    /// </summary>
    public FunctionForwarder(IHttpMessageHandlerFactory handlers, string clientName, TimeProvider time, ILogger<FunctionForwarder> logger)
    {
        _handlers = handlers;
        _clientName = clientName;
        _time = time;
        _logger = logger;
    }

    /// <summary>The name in <see cref="IHttpClientFactory"/> of the client of <c>AddAzureFunctionProxy(name, ...)</c>: its own pools and handlers.</summary>
    public static string ClientNameFor(string functionName) => $"{ClientName}.{functionName}";

    /// <summary>
    /// Sends the request to <paramref name="url"/>, an address of <paramref name="backend"/>, and returns the
    /// response head, or the failure that left none; nothing reaches the caller here, and nothing is logged but the
    /// attempt. <paramref name="bodyStarted"/> is called as the caller's body starts to go out.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ExchangeResult> SendAsync(HttpContext context, Backend backend, Uri url, Action? bodyStarted)
    {
        var options = backend.Options;
        var timeout = new StepTimeout(TimeSpan.FromMilliseconds(options.Timeout), _time, context.RequestAborted);
        var content = HasBody(context) ? new StreamingRequestContent(context.Request.Body, timeout) { Started = bodyStarted } : null;
        var request = new FunctionHttpHandler.FunctionRequestMessage(HttpMethod.Parse(context.Request.Method), url, backend.Connection, timeout) { Content = content };
        backend.ApplyVersion(request);
        if (!HeaderRules.CopyRequestHeaders(context, request, backend.Headers))
        {
            return new(request, null, ForwarderError.RequestHeaderInvalid, null, SafeToResend: false, JudgesBackend: false);
        }

        // A body held whole for its length (RequestBodyFraming.ContentLength) goes with it.
        if (content is not null && options.RequestBodyFraming == RequestBodyFraming.ContentLength && RequestBodyBuffer.LengthOf(context) is long length)
        {
            content.Headers.ContentLength = length;
        }

        var sender = CurrentSender();
        if (sender.AppHandlers)
        {
            request.TravelInOptions();
        }

        Log.Forwarding(_logger, request.Method, new Log.UrlWithoutQuery(url), backend.Name);

        try
        {
            timeout.Restart();
            var response = await sender.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            backend.Answered(response, _logger);
            return new(request, response, ForwarderError.None, null, IsRepeatable(context, content), JudgesBackend: true);
        }
        catch (Exception e) when (content?.ResendRefused == true)
        {
            request.Dispose();
            timeout.Dispose();

            // Not the function's fault nor the caller's: the app's client configuration retries streamed bodies.
            throw new InvalidOperationException(
                $"A handler on the '{_clientName}' HttpClient sent a request with a body twice. Request bodies stream " +
                "through once, so requests with a body cannot be retried: limit retries to requests without one.",
                e);
        }
        catch (Exception e)
        {
            // Besides the transport's own failures: what handlers the app added throw (a resilience pipeline's
            // timeout or open circuit). The function was not reached either way, and the caller gets a 502.
            var error = ClassifySendFailure(context, request, content, timeout, e);
            if (error is not (ForwarderError.FunctionUnreachable or ForwarderError.FunctionTimedOut))
            {
                return new(request, null, error, e, SafeToResend: false, JudgesBackend: false);
            }

            // A request that never reached the connections was refused by a handler the app added (its own circuit
            // breaker or rate limiter), which says nothing of this backend. Nor does a failure while the caller's
            // body was going out: the caller chose it, and a body over the backend's limit gets the connection reset.
            var reachedConnections = request.Pool is not null;
            return new(
                request, null, error, e,
                NothingSent(e, content, reachedConnections) || IsRepeatable(context, content),
                JudgesBackend: reachedConnections && content?.Interrupted != true);
        }
    }

    // The factory hands out the same pipeline until the client's handler lifetime (infinite unless the user set
    // one) ends; a new pipeline gets a new invoker, and the factory disposes the old one once unused.
    private Sender CurrentSender()
    {
        var handler = _handlers.CreateHandler(_clientName);
        var sender = _sender;
        if (sender is null || !ReferenceEquals(sender.Handler, handler))
        {
            // Just the factory's lifetime tracking over a primary handler: nothing can copy the request.
            var appHandlers = handler is not DelegatingHandler { InnerHandler: not DelegatingHandler };
            _sender = sender = new Sender(handler, new HttpMessageInvoker(handler, disposeHandler: false), appHandlers);
        }

        return sender;
    }

    private static ForwarderError ClassifySendFailure(HttpContext context, FunctionHttpHandler.FunctionRequestMessage request, StreamingRequestContent? content, StepTimeout timeout, Exception failure)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return ForwarderError.CallerAborted;
        }

        if (content?.CallerFailure is { } callerFailure)
        {
            return callerFailure is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                ? ForwarderError.RequestBodyTooLarge
                : ForwarderError.RequestBodyFailed;
        }

        // Its own connection attempt was still waiting for MaxConnectionsPerBackend when Timeout ran out (on the request,
        // or on the attempt, whose connect timeout is Timeout too): no connection was free, and the backend is not at
        // fault (its circuit does not count it).
        if (request.WaitingForConnection)
        {
            return ForwarderError.ConnectionBudgetExhausted;
        }

        return timeout.RanOut(failure) ? ForwarderError.FunctionTimedOut : ForwarderError.FunctionUnreachable;
    }

    // Nothing of the request reached the backend: it never reached the connections, or no connection was made for it
    // (so its body, if any, was never read, and never will be). A backend that had the request but not its body (a
    // timeout waiting on Expect: 100-continue) may have acted on it.
    private static bool NothingSent(Exception e, StreamingRequestContent? content, bool reachedConnections) =>
        (!reachedConnections
            || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError })
        && (content?.TryAbandon() ?? true);

    // Sent, yet safe to send again: a read without a body.
    private static bool IsRepeatable(HttpContext context, StreamingRequestContent? content) =>
        content is null && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method));

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey("Transfer-Encoding"));

    /// <summary>
    /// What one exchange with a backend came to, before anything reached the caller: the response head, or the failure
    /// that left none. Whoever receives it decides what happens next (failover may send the request elsewhere, the
    /// response step copies the head and body to the caller) and disposes it, which ends the exchange.
    /// </summary>
    /// <param name="Request">The request sent, with its <see cref="StepTimeout"/>; its <see cref="HttpRequestMessage.RequestUri"/> is the address it went to.</param>
    /// <param name="Response">The backend's response head, its body still to read; <see langword="null"/> when none came.</param>
    /// <param name="Failure">Why no response came; <see cref="ForwarderError.None"/> with one.</param>
    /// <param name="Exception">What the send threw, when it did.</param>
    /// <param name="SafeToResend">Whether another backend may be sent the request: nothing of it reached this one, or it is a read without a body.</param>
    /// <param name="JudgesBackend">
    /// Whether a failure to answer says something of the backend: the request reached the connections (a handler the app
    /// added, its own circuit breaker or rate limiter, did not refuse it) and the caller's body was not going out (a body
    /// over the backend's limit gets the connection reset).
    /// </param>
    public readonly record struct ExchangeResult(
        FunctionHttpHandler.FunctionRequestMessage Request, HttpResponseMessage? Response, ForwarderError Failure, Exception? Exception, bool SafeToResend, bool JudgesBackend) : IDisposable
    {
        /// <summary>Ends the exchange: the response, the request and its timeout.</summary>
        public void Dispose()
        {
            Response?.Dispose();
            Request.Dispose();
            Request.Timeout.Dispose();
        }
    }

    private sealed record Sender(HttpMessageHandler Handler, HttpMessageInvoker Invoker, bool AppHandlers);
}
