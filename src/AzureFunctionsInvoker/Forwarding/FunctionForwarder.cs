using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Forwards one request to a function and streams its answer back: method, headers and body out; status,
/// headers and body in. It sends through the handler pipeline of its client in
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
    private readonly ProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CallerMount? _mount;
    private Sender? _sender;

    /// <summary>
    /// A forwarder through the client <paramref name="clientName"/>. Responses are rewritten for the callers of
    /// <paramref name="mount"/> (what they say about the function's address); without a mount nothing is rewritten.
    /// </summary>
    public FunctionForwarder(IHttpMessageHandlerFactory handlers, string clientName, ProxyMetrics metrics, TimeProvider time, ILogger<FunctionForwarder> logger, CallerMount? mount = null)
    {
        _handlers = handlers;
        _clientName = clientName;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _mount = mount;
    }

    /// <summary>The name in <see cref="IHttpClientFactory"/> of the client of <c>AddAzureFunctionProxy(name, ...)</c>: its own pools and handlers.</summary>
    public static string ClientNameFor(string functionName) => $"{ClientName}.{functionName}";

    /// <summary>
    /// Sends the request to <paramref name="target"/>, one of the function's addresses, and copies the
    /// response to the caller. Failures are logged here and returned for the caller's answer; none is thrown.
    /// </summary>
    public Task<ForwarderError> ForwardAsync(HttpContext context, ForwardingTarget function, Uri target)
    {
        var telemetry = ForwardTelemetry.Start(_metrics, context.Request.Method, function);

        // Without a listener there is nothing to stop at the end, so no frame of its own is kept for the exchange,
        // however long it streams.
        return telemetry is null
            ? SendAsync(context, function, target, telemetry: null, failOver: false, trial: 0)
            : ForwardReportingAsync(context, function, target, telemetry);
    }

    /// <summary>
    /// Sends the request to the backends of <paramref name="pool"/>, one at a time, each at most once: first the one
    /// <see cref="BackendPool.First"/> chooses, then, while an attempt fails where that is safe and nothing reached
    /// the caller, the next. The last attempt's answer is the caller's. <paramref name="rest"/> and
    /// <paramref name="query"/> come from <c>RequestTarget.TryGetRestAndQuery</c>.
    /// </summary>
    public async Task<ForwarderError> ForwardAsync(HttpContext context, BackendPool pool, string rest, string query)
    {
        var current = pool.First(out var trial);
        var backend = pool.Backends[current];
        var telemetry = ForwardTelemetry.Start(_metrics, context.Request.Method, backend);
        var tried = 0UL;
        ForwarderError? error = null;
        try
        {
            while (true)
            {
                tried |= 1UL << current;
                telemetry?.Attempting(backend);
                var next = pool.Next(tried);
                try
                {
                    error = await SendAsync(context, backend, backend.Resolve(rest, query), telemetry, failOver: next >= 0, trial).ConfigureAwait(false);
                }
                finally
                {
                    // The outcome ended the trial already, unless there was none (the caller went away).
                    backend.Circuit!.State.End(trial);
                }

                if (error != ForwarderError.FailedOver)
                {
                    return error.Value;
                }

                // The next backend whose circuit still lets the request in; when another request took the trial of the
                // one seen free, that one anyway, rather than no answer.
                current = pool.Enter(tried, next, out trial);
                backend = pool.Backends[current];
            }
        }
        finally
        {
            telemetry?.Stop(error);
        }
    }

    private async Task<ForwarderError> ForwardReportingAsync(HttpContext context, ForwardingTarget function, Uri target, ForwardTelemetry telemetry)
    {
        ForwarderError? error = null;
        try
        {
            error = await SendAsync(context, function, target, telemetry, failOver: false, trial: 0).ConfigureAwait(false);
            return error.Value;
        }
        finally
        {
            telemetry.Stop(error);
        }
    }

    // With failOver, a backend's failure that another may answer instead returns FailedOver, nothing written to the caller.
    // The outcome of a request that is its backend's trial (ticket non-zero) ends the trial.
    private async Task<ForwarderError> SendAsync(HttpContext context, ForwardingTarget function, Uri target, ForwardTelemetry? telemetry, bool failOver, long trial)
    {
        var options = function.Options;
        using var timeout = new StepTimeout(TimeSpan.FromMilliseconds(options.Timeout), _time, context.RequestAborted);
        var content = HasBody(context) ? new StreamingRequestContent(context.Request.Body, timeout) { Trial = (function.Circuit?.State, trial) } : null;
        using var request = new FunctionRequestMessage(HttpMethod.Parse(context.Request.Method), target, function.Connection, timeout) { Content = content };
        if (!HeaderRules.CopyRequestHeaders(context, request, options, function.RemovedRequestHeaders))
        {
            return Report(ForwarderError.RequestHeaderInvalid, new(options, context.Request.Method));
        }

        var sender = CurrentSender();
        if (sender.AppHandlers)
        {
            request.TravelInOptions();
        }

        Log.Forwarding(_logger, request.Method, new UrlWithoutQuery(target), function.Name);

        HttpResponseMessage response;
        try
        {
            timeout.Restart();
            response = await sender.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (content?.ResendRefused == true)
        {
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
            var error = ClassifySendFailure(context, content, timeout);
            if (function.Circuit is { } circuit && error is ForwarderError.FunctionUnreachable or ForwarderError.FunctionTimedOut)
            {
                // A request that never reached the connections was refused by a handler the app added (its own circuit
                // breaker or rate limiter), which says nothing of this backend. Nor does a failure while the caller's
                // body was going out: the caller chose it, and a body over the backend's limit gets the connection
                // reset. Judged against the backend, either would let something other than the backend open its circuit.
                var reachedConnections = request.Pool is not null;
                if (reachedConnections && content?.Interrupted != true)
                {
                    circuit.Unanswered(ForwarderErrors.Describe(error).ErrorType!, trial);
                }

                if (failOver && (NothingSent(e, content, reachedConnections) || IsRepeatable(context, content)))
                {
                    error = ForwarderError.FailedOver;
                }
            }

            return Report(error, new(options, context.Request.Method, Exception: e));
        }

        using (response)
        {
            telemetry?.ResponseReceived((int)response.StatusCode);
            if (function.Circuit is { } circuit)
            {
                circuit.Answered((int)response.StatusCode, response.Headers.RetryAfter, trial);
                // The backend had the request, whether or not it read the body (an early answer to Expect: 100-continue).
                if (failOver && circuit.IsFailure((int)response.StatusCode) && IsRepeatable(context, content))
                {
                    return Report(ForwarderError.FailedOver, new(options, context.Request.Method, (int)response.StatusCode));
                }
            }

            if ((int)response.StatusCode < StatusCodes.Status200OK)
            {
                // A 101 comes with the raw connection as its body: passing it on would hand the caller unframed bytes.
                return Report(ForwarderError.InformationalResponse, new(options, context.Request.Method, (int)response.StatusCode));
            }

            if (HeaderRules.HasInvalidFraming(response))
            {
                var invalidLength = new HttpRequestException(HttpRequestError.InvalidResponse, "The function's response has an invalid Content-Length.");
                return Report(ForwarderError.ResponseBodyFailed, new(options, context.Request.Method, (int)response.StatusCode, invalidLength));
            }

            context.Response.StatusCode = (int)response.StatusCode;
            HeaderRules.CopyResponseHeaders(response, context.Response, _logger, function.RemovedResponseHeaders);
            // What the function says of its own address is rewritten for the caller; a Durable Location marks a
            // response of Durable's own, whose body is rewritten even when chunked.
            var rewriteBody = _mount is not null && RewriteScope.AnyEnabled(options)
                && RewrittenJsonCopier.Applies(context, options, ResponseHeaderRewriter.Rewrite(context.Response.Headers, new RewriteScope(target, function.FunctionPath, context.Request, _mount, options, function.MountSuffix)));

            if (ManagementUrlScan.LeftInHeaders(context.Response.Headers, options))
            {
                return Report(ForwarderError.ResponseBodyFailed, new(options, context.Request.Method, (int)response.StatusCode, new InvalidDataException(
                    "The function's Location or Content-Location names a Durable Task management URL the proxy does not rewrite: it is not passed on, as its key could be in it.")));
            }

            var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);

            // Response buffering middleware (compression, caching) would otherwise hold an event stream back from the caller.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            // Copied here rather than in a method of its own: one frame fewer kept alive while a stream is open. Only a
            // small JSON body that may hold Durable management URLs is read whole, to rewrite them.
            var copy = rewriteBody
                ? RewrittenJsonCopier.CopyToCallerAsync(body, new RewriteScope(target, function.FunctionPath, context.Request, _mount!, options, function.MountSuffix), timeout, context.RequestAborted)
                : StreamCopier.CopyToCallerAsync(body, context.Response.Body, timeout, context.RequestAborted, scan: ManagementUrlScan.For(context, options));
            var (result, _, exception) = await copy.ConfigureAwait(false);
            return result switch
            {
                StreamCopyResult.Success => ForwarderError.None,
                StreamCopyResult.SourceFailed => Report(ForwarderError.ResponseBodyFailed, new(options, context.Request.Method, Exception: exception)),
                StreamCopyResult.TimedOut => Report(ForwarderError.FunctionTimedOut, new(options, context.Request.Method, Exception: exception)),

                // A write to the caller fails when the caller is gone, whether or not its abort was signalled yet.
                _ => Report(ForwarderError.CallerAborted, new(options, context.Request.Method, Exception: exception)),
            };
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

    private static ForwarderError ClassifySendFailure(HttpContext context, StreamingRequestContent? content, StepTimeout timeout)
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

        return timeout.HasExpired ? ForwarderError.FunctionTimedOut : ForwarderError.FunctionUnreachable;
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

    private ForwarderError Report(ForwarderError error, ForwarderFailure failure)
    {
        ForwarderErrors.Describe(error).Log?.Invoke(_logger, failure);
        return error;
    }

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey("Transfer-Encoding"));

    private sealed record Sender(HttpMessageHandler Handler, HttpMessageInvoker Invoker, bool AppHandlers);
}
