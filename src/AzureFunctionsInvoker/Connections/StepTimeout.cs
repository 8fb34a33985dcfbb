namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The plugin's <c>timeout</c>: the longest the proxy waits on the function for any one step. The timer is
/// restarted before each wait on the function (sending the request, each body write to it, each body read
/// from it), once more when a new connection to it is made, and paused while the proxy waits on the caller
/// instead, so a slow caller never counts against the function. It is also cancelled when the caller goes away.
/// It runs on the app's <see cref="TimeProvider"/>, so tests time it on a fake clock.
/// </summary>
/// <remarks>
/// The exchange's cancellation source itself, as YARP's activity timeout is, so that a forward costs one object
/// and one timer for both reasons to stop.
/// </remarks>
internal sealed class StepTimeout : CancellationTokenSource
{
    // _state: whether a step is being timed, whether the connect step is still open, and above those a count
    // of changes, so that a thread applying one state to the timer sees a change made meanwhile and applies
    // that one too. The timer always ends up matching the last change, without a lock.
    private const int Timing = 1;
    private const int ConnectStepOpen = 2;
    private const int Disposed = 4;
    private const int OneChange = 8;

    private const int NoConnectionWait = 0;
    private const int ConnectionWaited = 1;
    private const int RequestSent = 2;

    private readonly CancellationToken _callerAborted;
    private readonly CancellationTokenRegistration _callerRegistration;
    private readonly TimeSpan _timeout;
    private int _state = ConnectStepOpen;

    // The request's connection: NoConnectionWait, ConnectionWaited (its own attempt waits for the budget) or
    // RequestSent (final). In room the fields above leave, so a request costs no byte more for it.
    private int _connection;

    public StepTimeout(TimeSpan timeout, TimeProvider time, CancellationToken callerAborted)
        : base(Timeout.InfiniteTimeSpan, time)
    {
        _timeout = timeout;
        _callerAborted = callerAborted;
        _callerRegistration = callerAborted.UnsafeRegister(static state => ((StepTimeout)state!).CancelQuietly(), this);
    }

    /// <summary>Whether the exchange's connection attempt waits for <c>MaxConnectionsPerBackend</c>: see <see cref="FunctionHttpHandler.FunctionRequestMessage.WaitingForConnection"/>.</summary>
    public bool WaitingForConnection => Volatile.Read(ref _connection) == ConnectionWaited;

    /// <summary>Whether the request went out on a connection (its headers were written), whichever connection served it.</summary>
    public bool Sent => Volatile.Read(ref _connection) == RequestSent;

    /// <summary>The exchange's connection attempt starts waiting for the budget; nothing changes once the request was sent.</summary>
    public void WaitForConnection() => Interlocked.CompareExchange(ref _connection, ConnectionWaited, NoConnectionWait);

    /// <summary>The exchange's connection attempt got its turn in the budget.</summary>
    public void ConnectionGranted() => Interlocked.CompareExchange(ref _connection, NoConnectionWait, ConnectionWaited);

    /// <summary>The request went out on a connection: from now on it waits for no connection, for good.</summary>
    public void MarkSent() => Volatile.Write(ref _connection, RequestSent);

    /// <summary>Whether the function ran out of time (as opposed to the caller going away).</summary>
    public bool HasExpired => IsCancellationRequested && !_callerAborted.IsCancellationRequested;

    /// <summary>
    /// Whether <paramref name="failure"/>, which ended the send, means the function ran out of time: this timer expired,
    /// or the connection handler gave up the connect. Its <c>ConnectTimeout</c> is this same Timeout, timed on real time
    /// from the connection attempt's start, a moment after this timer started; when it fires first (under load, or once
    /// a wait for <c>MaxConnectionsPerBackend</c> ends right at the deadline) the handler fails the request with its own
    /// cancellation around a <see cref="TimeoutException"/> while this timer has not yet expired.
    /// </summary>
    public bool RanOut(Exception failure) =>
        HasExpired || (failure is OperationCanceledException { InnerException: TimeoutException } && !_callerAborted.IsCancellationRequested);

    /// <summary>Starts timing a wait on the function.</summary>
    public void Restart() => Change(set: Timing, clear: 0, onlyInConnectStep: false);

    /// <summary>Stops timing while the proxy waits on the caller. The connect step, if still open, is over.</summary>
    public void Pause() => Change(set: 0, clear: Timing | ConnectStepOpen, onlyInConnectStep: false);

    /// <summary>
    /// Ends the connect step: the TLS handshake and the response headers get a full timeout of their own. A
    /// connection made for this request may come up after another one served it, so only a request that has
    /// not yet waited on its caller restarts.
    /// </summary>
    public void ConnectionEstablished() => Change(set: Timing, clear: ConnectStepOpen, onlyInConnectStep: true);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Late callers (a connection that came up after the exchange ended) change nothing from now on.
            Interlocked.Or(ref _state, Disposed);
            _callerRegistration.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Change(int set, int clear, bool onlyInConnectStep)
    {
        int current, next;
        do
        {
            current = Volatile.Read(ref _state);
            if ((current & Disposed) != 0 || (onlyInConnectStep && (current & ConnectStepOpen) == 0))
            {
                return;
            }

            next = ((current & ~clear) | set) + OneChange;
        }
        while (Interlocked.CompareExchange(ref _state, next, current) != current);

        while (true)
        {
            SetTimer((next & Timing) != 0 ? _timeout : Timeout.InfiniteTimeSpan);
            var now = Volatile.Read(ref _state);
            if (now == next || (now & Disposed) != 0)
            {
                return;
            }

            next = now;
        }
    }

    private void SetTimer(TimeSpan delay)
    {
        try
        {
            CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
            // A late connection, or a request body copy, that outlived its exchange.
        }
    }

    private void CancelQuietly()
    {
        try
        {
            Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The exchange ended as the caller went away.
        }
    }
}
