using System.Runtime.CompilerServices;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// The one forward path of every mount, around the exchange as YARP's load balancing and passive health checks sit
/// around its forwarder: picks a backend of the pool, runs the exchange with it, judges the answer against the
/// backend's circuit, and, while an attempt failed where that is safe and nothing reached the caller, tries the next
/// backend, each at most once. The last attempt's response goes to the caller through <see cref="ResponseCopier"/>.
/// A pool of one has nowhere else to go and no circuit: its one attempt is the answer.
/// </summary>
internal sealed class PoolForwarder(FunctionForwarder exchange, ResponseCopier response, ProxyMetrics metrics, ILogger logger)
{
    /// <summary>
    /// Forwards the request to the backends of <paramref name="pool"/>, at <paramref name="url"/> when the request
    /// has an address of its own (a Durable link's), else at each backend's address for <paramref name="request"/>, a
    /// request target that <see cref="RequestTarget.IsSafe"/>. Failures are logged here and returned for the caller's
    /// answer; none is thrown.
    /// </summary>
    public ValueTask<ForwarderError> ForwardAsync(HttpContext context, BackendPool pool, RequestTarget request, Uri? url = null) =>
        ForwardAsync(context, pool, request, url, answer: false);

    /// <summary>
    /// Forwards as <see cref="ForwardAsync(HttpContext, BackendPool, RequestTarget, Uri?)"/> does and answers a failure
    /// to the caller itself: a mount's request delegate can return this task, with no async frame of its own kept for
    /// as long as the exchange lasts (an event stream's whole life).
    /// </summary>
    public Task ForwardAndAnswerAsync(HttpContext context, BackendPool pool, RequestTarget request, Uri? url)
    {
        var forwarding = ForwardAsync(context, pool, request, url, answer: true);
        if (forwarding.IsCompletedSuccessfully)
        {
            // Also hands a pooled frame back.
            _ = forwarding.Result;
            return Task.CompletedTask;
        }

        return forwarding.AsTask();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(HttpContext context, BackendPool pool, RequestTarget request, Uri? url, bool answer)
    {
        var current = pool.First(out var trial);
        var backend = pool.Backends[current];
        var telemetry = metrics.Listening ? ForwardTelemetry.Start(metrics, context.Request.Method, backend) : null;
        var tried = 0UL;
        ForwarderError? error = null;
        try
        {
            while (true)
            {
                tried |= 1UL << current;
                if (pool.HasFailover)
                {
                    telemetry?.Attempting(backend);
                }

                var next = pool.Next(tried);
                var circuit = pool.CircuitOf(current);
                FunctionForwarder.ExchangeResult attempt;
                try
                {
                    attempt = await exchange.SendAsync(context, backend, url ?? backend.Resolve(request), trial == 0 ? null : EndTrial(circuit, trial)).ConfigureAwait(false);
                }
                catch
                {
                    circuit?.State.End(trial);
                    throw;
                }

                // Disposed in a finally rather than by a using, which would keep a second copy of the result in the frame.
                try
                {
                    if (attempt.Response is { } head)
                    {
                        telemetry?.ResponseReceived((int)head.StatusCode);
                    }

                    var outcome = Judge(context, attempt, backend, circuit, trial, failOver: next >= 0);

                    // The outcome ended the trial already, unless there was none (the caller went away).
                    circuit?.State.End(trial);
                    if (outcome == ForwarderError.None)
                    {
                        // The response's steps, its body's copy awaited in this frame: one frame fewer for as long as
                        // the body lasts, which for an event stream is as long as it is open.
                        outcome = response.CopyHead(context, attempt, backend, out var rewriteBody);
                        if (outcome == ForwarderError.None)
                        {
                            var body = await attempt.Response!.Content.ReadAsStreamAsync(attempt.Request.Timeout.Token).ConfigureAwait(false);
                            var draining = default(CancellationTokenRegistration);
                            try
                            {
                                // Awaited as it is made, so that the frame keeps no copy of the task beside its awaiter's.
                                var (result, _, exception) = await response.CopyBody(context, attempt, backend, body, rewriteBody, out draining).ConfigureAwait(false);
                                outcome = response.BodyCopied(context, attempt, backend, result, exception, drained: draining.Token.IsCancellationRequested);
                            }
                            finally
                            {
                                draining.Dispose();
                            }
                        }
                    }

                    if (outcome is not null)
                    {
                        error = outcome;
                        break;
                    }
                }
                finally
                {
                    attempt.Dispose();
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

        if (answer && error != ForwarderError.None)
        {
            await ForwarderErrorResponse.WriteAfterForwardAsync(context, error.Value).ConfigureAwait(false);
        }

        return error.Value;
    }

    // The attempt's outcome for the caller (None: the response is the caller's), or null when the request goes to the
    // next backend. Counts the answer, or its absence, against the backend's circuit, which ends a trial.
    private ForwarderError? Judge(HttpContext context, in FunctionForwarder.ExchangeResult attempt, Backend backend, CircuitBreaker? circuit, long trial, bool failOver)
    {
        var options = backend.Options;
        if (attempt.Response is { } head)
        {
            var statusCode = (int)head.StatusCode;
            if (circuit is not null)
            {
                circuit.Answered(statusCode, head.Headers.RetryAfter, trial);

                // The backend had the request, whether or not it read the body (an early answer to Expect: 100-continue).
                if (failOver && circuit.IsFailure(statusCode) && attempt.SafeToResend)
                {
                    // An answer is no failure of the error table: its status is its whole cause, and no exception follows.
                    var answered = new ForwarderFailure(options, context.Request.Method, statusCode, Url: attempt.Request.RequestUri);
                    Log.FailedOver(logger, options.FunctionName, answered.Endpoint, answered.StatusCause);
                    return null;
                }
            }

            return ForwarderError.None;
        }

        var error = attempt.Failure;
        if (circuit is not null && error is ForwarderError.FunctionUnreachable or ForwarderError.FunctionTimedOut)
        {
            if (attempt.JudgesBackend)
            {
                circuit.Unanswered(ForwarderErrors.Describe(error).ErrorType!, trial);
            }

            if (failOver && attempt.SafeToResend)
            {
                LogFailedOver(new(options, context.Request.Method, Exception: attempt.Exception, Url: attempt.Request.RequestUri));
                return null;
            }
        }

        return ForwarderErrors.Report(logger, error, new(options, context.Request.Method, Exception: attempt.Exception, Url: attempt.Request.RequestUri));
    }

    private void LogFailedOver(ForwarderFailure failure) =>
        ForwarderErrors.WithDetail(logger, failure, static (logger, failure, cause) => Log.FailedOver(logger, failure.Options.FunctionName, failure.Endpoint, cause));

    // A half-open circuit's trial is handed back as the caller's body starts to go out. Made only for a trial, in a
    // method of its own so that no other request pays for the closure.
    private static Action EndTrial(CircuitBreaker? circuit, long trial) => () => circuit?.State.End(trial);
}
