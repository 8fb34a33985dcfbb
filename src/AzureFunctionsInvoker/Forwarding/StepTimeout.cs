namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The plugin's <c>timeout</c>: the longest the proxy waits on the function for any one step. The timer is
/// restarted before each wait on the function (connect and headers, each body write to it, each body read
/// from it) and paused while the proxy waits on the caller instead, so a slow caller never counts against
/// the function. Its token is also cancelled when the caller goes away.
/// </summary>
internal sealed class StepTimeout : IDisposable
{
    /// <summary>Carries the timeout on the forwarded request, so the connection handler can end the connect step.</summary>
    public static readonly HttpRequestOptionsKey<StepTimeout> Key = new("AzureFunctionsInvoker.StepTimeout");

    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _callerAborted;
    private readonly TimeSpan _timeout;

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
    public void Restart() => Set(_timeout);

    /// <summary>Stops timing while the proxy waits on the caller.</summary>
    public void Pause() => Set(Timeout.InfiniteTimeSpan);

    public void Dispose() => _source.Dispose();

    private void Set(TimeSpan delay)
    {
        try
        {
            _source.CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
            // A request body copy that outlived its exchange (the function answered before reading it all).
        }
    }
}
