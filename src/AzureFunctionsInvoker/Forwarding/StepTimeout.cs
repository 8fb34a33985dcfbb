namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The plugin's <c>timeout</c>: the longest the proxy waits on the function for any one step. The timer is
/// restarted before each wait on the function (sending the request, each body write to it, each body read
/// from it), once more when a new connection to it is made, and paused while the proxy waits on the caller
/// instead, so a slow caller never counts against the function. Its token is also cancelled when the caller
/// goes away.
/// </summary>
internal sealed class StepTimeout : IDisposable
{
    /// <summary>Carries the timeout on the forwarded request, so the connection handler can end the connect step.</summary>
    public static readonly HttpRequestOptionsKey<StepTimeout> Key = new("AzureFunctionsInvoker.StepTimeout");

    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _callerAborted;
    private readonly TimeSpan _timeout;
    private readonly Lock _gate = new();
    private bool _connectStepOpen = true;

    public StepTimeout(TimeSpan timeout, CancellationToken callerAborted)
    {
        _timeout = timeout;
        _callerAborted = callerAborted;
        _source = CancellationTokenSource.CreateLinkedTokenSource(callerAborted);
    }

    /// <summary>Cancelled when a step takes longer than the timeout or the caller goes away.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the function ran out of time (as opposed to the caller going away).</summary>
    public bool HasExpired => _source.IsCancellationRequested && !_callerAborted.IsCancellationRequested;

    /// <summary>Starts timing a wait on the function.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            Set(_timeout);
        }
    }

    /// <summary>Stops timing while the proxy waits on the caller. The connect step, if still open, is over.</summary>
    public void Pause()
    {
        lock (_gate)
        {
            _connectStepOpen = false;
            Set(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Ends the connect step: the TLS handshake and the response headers get a full timeout of their own. A
    /// connection made for this request may come up after another one served it, so only a request that has
    /// not yet waited on its caller restarts.
    /// </summary>
    public void ConnectionEstablished()
    {
        lock (_gate)
        {
            if (_connectStepOpen)
            {
                _connectStepOpen = false;
                Set(_timeout);
            }
        }
    }

    public void Dispose() => _source.Dispose();

    private void Set(TimeSpan delay)
    {
        try
        {
            _source.CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
            // A late connection, or a request body copy, that outlived its exchange.
        }
    }
}
