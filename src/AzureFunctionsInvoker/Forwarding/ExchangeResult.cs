using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What one exchange with a backend came to, before anything reached the caller: the response head, or the failure
/// that left none. Whoever receives it decides what happens next (failover may send the request elsewhere, the
/// response step copies the head and body to the caller) and disposes it, which ends the exchange.
/// </summary>
internal readonly struct ExchangeResult : IDisposable
{
    /// <param name="request">The request sent, with its <see cref="StepTimeout"/>.</param>
    /// <param name="response">The backend's response head (its body not read yet); <see langword="null"/> when none came.</param>
    /// <param name="failure">Why no response came; <see cref="ForwarderError.None"/> with one.</param>
    /// <param name="exception">What the send threw, when it did.</param>
    /// <param name="safeToResend">Whether another backend may be sent the request: nothing of it reached this one, or it is a read without a body.</param>
    /// <param name="judgesBackend">Whether a failure to answer says something of the backend (not of the app's handlers or the caller's body).</param>
    public ExchangeResult(FunctionRequestMessage request, HttpResponseMessage? response, ForwarderError failure, Exception? exception, bool safeToResend, bool judgesBackend)
    {
        Request = request;
        Response = response;
        Failure = failure;
        Exception = exception;
        SafeToResend = safeToResend;
        JudgesBackend = judgesBackend;
    }

    /// <summary>The request sent; its <see cref="HttpRequestMessage.RequestUri"/> is the address it went to.</summary>
    public FunctionRequestMessage Request { get; }

    /// <summary>The backend's response head, its body still to read; <see langword="null"/> when none came.</summary>
    public HttpResponseMessage? Response { get; }

    /// <summary>Why no response came; <see cref="ForwarderError.None"/> with one.</summary>
    public ForwarderError Failure { get; }

    /// <summary>What the send threw, when it did.</summary>
    public Exception? Exception { get; }

    /// <summary>Whether another backend may be sent the request: nothing of it reached this one, or it is a read without a body.</summary>
    public bool SafeToResend { get; }

    /// <summary>
    /// Whether a failure to answer says something of the backend: the request reached the connections (a handler the app
    /// added, its own circuit breaker or rate limiter, did not refuse it) and the caller's body was not going out (a body
    /// over the backend's limit gets the connection reset).
    /// </summary>
    public bool JudgesBackend { get; }

    /// <summary>Ends the exchange: the response, the request and its timeout.</summary>
    public void Dispose()
    {
        Response?.Dispose();
        Request.Dispose();
        Request.Timeout.Dispose();
    }
}
