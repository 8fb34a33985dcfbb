using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

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
internal readonly record struct ExchangeResult(
    FunctionRequestMessage Request, HttpResponseMessage? Response, ForwarderError Failure, Exception? Exception, bool SafeToResend, bool JudgesBackend) : IDisposable
{
    /// <summary>Ends the exchange: the response, the request and its timeout.</summary>
    public void Dispose()
    {
        Response?.Dispose();
        Request.Dispose();
        Request.Timeout.Dispose();
    }
}
