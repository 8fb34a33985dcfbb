namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The pooled connections of one <see cref="ConnectionSettings"/>: a <see cref="SocketsHttpHandler"/> that lives while
/// something holds it. Its <see cref="FunctionHttpHandler"/> holds it while a current target uses its settings, and each
/// forwarded request from its first send until it is disposed, after its response; the last release disposes it,
/// and a disposed pool is never held again (the next request with its settings gets a new one).
/// </summary>
internal sealed class ConnectionPool : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly Action<ConnectionPool>? _disposed;

    // Starts with its creator's hold. Zero is final: the pool is disposed.
    private int _holds = 1;

    // Whether the pool holds itself for its live settings; changed only under its handler's lock.
    private bool _live;

    /// <param name="settings">The settings <paramref name="handler"/> was made for.</param>
    /// <param name="handler">The handler whose connections the pool owns.</param>
    /// <param name="disposed">Called when the last hold is released, before the handler is disposed.</param>
    public ConnectionPool(ConnectionSettings settings, HttpMessageHandler handler, Action<ConnectionPool>? disposed = null)
    {
        Settings = settings;
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        _disposed = disposed;
    }

    /// <summary>The settings the pool's connections were made with.</summary>
    public ConnectionSettings Settings { get; }

    /// <summary>Sends <paramref name="request"/> over the pool's connections; the caller holds the pool.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invoker.SendAsync(request, cancellationToken);

    /// <summary>Holds the pool unless it is already disposed.</summary>
    public bool TryHold()
    {
        var holds = Volatile.Read(ref _holds);
        while (holds > 0)
        {
            var seen = Interlocked.CompareExchange(ref _holds, holds + 1, holds);
            if (seen == holds)
            {
                return true;
            }

            holds = seen;
        }

        return false;
    }

    /// <summary>Releases a hold; the last one disposes the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _disposed?.Invoke(this);
            _invoker.Dispose();
        }
    }

    /// <summary>Holds the pool while its settings are live, or releases that hold. Called under the handler's lock.</summary>
    public void SetLive(bool live)
    {
        if (live == _live)
        {
            return;
        }

        if (live)
        {
            // A pool already disposed stays so: the next request with its settings makes a live one.
            _live = TryHold();
        }
        else
        {
            _live = false;
            Release();
        }
    }

    /// <summary>Disposes the connections whatever holds them: their handler is being disposed.</summary>
    public void Dispose() => _invoker.Dispose();
}
