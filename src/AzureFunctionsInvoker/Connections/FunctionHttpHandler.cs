using System.Collections.Concurrent;
using System.Text;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The primary handler of the proxy's <see cref="HttpClient"/>: a <see cref="ConnectionPool"/> per distinct
/// <see cref="ConnectionSettings"/>, so each mount gets its own idle timeout and certificate policy while handlers the
/// user adds through <c>AddAzureFunctionProxy()</c> wrap them all. A pool lives while a current named proxy of its client
/// uses its settings (<see cref="LiveConnectionSettings"/>) or a request sent through it is not yet disposed, so a
/// reload that changes the settings leaves no pool behind once the requests that used the old one have finished.
/// Its two helpers live in it: the request it reads a mount's settings from (<see cref="FunctionRequestMessage"/>) and
/// the pool such a request holds (<see cref="ConnectionPool"/>).
/// </summary>
internal sealed class FunctionHttpHandler : HttpMessageHandler
{
    // For a request a user's handler built itself, without the mount's settings.
    private static readonly ConnectionSettings s_defaults = ConnectionSettings.From(new AzureFunctionProxyOptions());

    private readonly LiveConnectionSettings _live;
    private readonly string _clientName;
    private readonly ConnectionInstruments? _instruments;

    // Held by the handler for good: requests without a mount's settings come from the app's own code at any time.
    private readonly ConnectionPool _defaults;

    private readonly ConcurrentDictionary<ConnectionSettings, ConnectionPool> _pools = new();

    // Orders making a pool after the liveness changes of its settings. Sends through an existing pool take no lock.
    private readonly Lock _gate = new();

    public FunctionHttpHandler(LiveConnectionSettings live, string clientName, ConnectionInstruments? instruments = null)
    {
        _live = live;
        _clientName = clientName;
        _instruments = instruments;
        _defaults = new(s_defaults, s_defaults.CreateHandler(instruments));
        live.Changed += OnLiveChanged;
    }

    /// <summary>The pools for mounts' settings not yet disposed; the defaults pool is not counted.</summary>
    internal int PoolCount => _pools.Count;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var forwarded = FunctionRequestMessage.Of(request);
        var pool = forwarded is null ? _defaults : forwarded.Pool ?? Hold(forwarded);
        return pool.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _live.Changed -= OnLiveChanged;
            _defaults.Dispose();
            foreach (var pool in _pools.Values)
            {
                pool.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    // A forwarded request's first send: the request holds its settings' pool until it is disposed, after its
    // response, whatever copies or retries of it go out meanwhile.
    private ConnectionPool Hold(FunctionRequestMessage request)
    {
        var pool = Acquire(request.Connection);
        var held = request.Hold(pool);
        if (held != pool)
        {
            // A copy of the request, sent at the same time, got there first; or the exchange is over.
            pool.Release();
        }

        return held ?? throw new ObjectDisposedException(nameof(FunctionRequestMessage), "The forwarded request was sent after its exchange ended.");
    }

    private ConnectionPool Acquire(ConnectionSettings settings)
    {
        if (_pools.TryGetValue(settings, out var pool) && pool.TryHold())
        {
            return pool;
        }

        lock (_gate)
        {
            if (_pools.TryGetValue(settings, out pool) && pool.TryHold())
            {
                return pool;
            }

            // The first request with these settings, or the first since their pool was disposed: a request that
            // started before a reload can be sent after it.
            pool = new ConnectionPool(settings, settings.CreateHandler(_instruments), Remove);
            pool.SetLive(_live.IsLive(_clientName, settings));
            _pools[settings] = pool;
            return pool;
        }
    }

    private void OnLiveChanged(string clientName, ConnectionSettings settings)
    {
        if (clientName != _clientName)
        {
            return;
        }

        lock (_gate)
        {
            if (_pools.TryGetValue(settings, out var pool))
            {
                pool.SetLive(_live.IsLive(clientName, settings));
            }
        }
    }

    // Only that pool: a newer one for the same settings may have taken its place.
    private void Remove(ConnectionPool pool) => _pools.TryRemove(KeyValuePair.Create(pool.Settings, pool));

    /// <summary>
    /// The forwarded request, carrying what the connection handler needs from its mount: the connection settings
    /// that pick its pool, and its <see cref="StepTimeout"/> for the connect step. Carried as properties rather than
    /// in <see cref="HttpRequestMessage.Options"/>, which would cost every forward a dictionary; only when the app
    /// added handlers, which may send a copy of the request (hedging does), does it also ride in the options.
    /// It holds the pool it was sent through until it is disposed, which the forwarder does after the response.
    /// </summary>
    public sealed class FunctionRequestMessage : HttpRequestMessage
    {
        private static readonly HttpRequestOptionsKey<FunctionRequestMessage> s_original = new("AzureFunctionsInvoker.FunctionRequest");

        // Marks a disposed request, which holds no pool any more.
        private static readonly object s_disposed = new();

        // The held ConnectionPool, null before the first send, or s_disposed.
        private object? _pool;

        /// <summary>
        /// Called with the request as the handler writes each of its headers onto a connection (HTTP/1.1, HTTP/2, HTTP/3):
        /// the one sign of which connection, if any, serves a request, as its own attempt may still wait for the budget
        /// while another connection serves it (FunctionRequestMessage.WaitingForConnection). A request without a single
        /// header (AddXForwardedHeaders off, no key, a bare caller) gives no such sign. Kestrel decodes request header
        /// values as UTF-8 (and refuses invalid UTF-8), so encoding them back as UTF-8 sends the function the caller's
        /// bytes. The default (ASCII only) would fail the whole request.
        /// </summary>
        public static readonly HeaderEncodingSelector<HttpRequestMessage> SendingHeader = static (_, request) =>
        {
            Of(request)?.Timeout.MarkSent();
            return Encoding.UTF8;
        };

        /// <summary>A request of <paramref name="method"/> to <paramref name="url"/>, sent with <paramref name="connection"/> and timed by <paramref name="timeout"/>.</summary>
        public FunctionRequestMessage(HttpMethod method, Uri url, ConnectionSettings connection, StepTimeout timeout)
            : base(method, url)
        {
            Connection = connection;
            Timeout = timeout;
        }

        /// <summary>The mount's connection settings.</summary>
        public ConnectionSettings Connection { get; }

        /// <summary>The exchange's timeout, restarted when a new connection comes up for it.</summary>
        public StepTimeout Timeout { get; }

        /// <summary>The forwarded request <paramref name="request"/> is, or was copied from; <see langword="null"/> for others.</summary>
        public static FunctionRequestMessage? Of(HttpRequestMessage request) =>
            request as FunctionRequestMessage ?? (request.Options.TryGetValue(s_original, out var original) ? original : null);

        /// <summary>
        /// Whether a connection attempt made for this request is waiting for its backend's <c>MaxConnectionsPerBackend</c>
        /// budget and the request has not gone out on a connection: a request that runs out of <c>Timeout</c> meanwhile
        /// found no connection, rather than a slow function. The handler serves a waiting request on whichever
        /// connection (or HTTP/2 stream) comes free first, while its own attempt goes on waiting; once its headers are
        /// written (<see cref="SendingHeader"/>) it waits for nothing, for good.
        /// Kept by its <see cref="StepTimeout"/>.
        /// </summary>
        public bool WaitingForConnection => Timeout.WaitingForConnection;

        /// <summary>The connection pool this request holds, once it was sent through one.</summary>
        public ConnectionPool? Pool => Volatile.Read(ref _pool) as ConnectionPool;

        /// <summary>Lets copies of this request, which keep its options but not its type, find it.</summary>
        public void TravelInOptions() => Options.Set(s_original, this);

        /// <summary>
        /// Holds <paramref name="pool"/>, already held for this request, until this request is disposed. Returns the pool
        /// held from now on: <paramref name="pool"/>, one a concurrent send of a copy held first, or <see langword="null"/>
        /// once this request is disposed. The caller releases <paramref name="pool"/> when it is not the one returned.
        /// </summary>
        public ConnectionPool? Hold(ConnectionPool pool) =>
            Interlocked.CompareExchange(ref _pool, pool, null) is { } held ? held as ConnectionPool : pool;

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _pool, s_disposed) is ConnectionPool pool)
            {
                pool.Release();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The pooled connections of one <see cref="ConnectionSettings"/>: a <see cref="SocketsHttpHandler"/> that lives while
    /// something holds it. Its <see cref="FunctionHttpHandler"/> holds it while a current named proxy uses its settings, and each
    /// forwarded request from its first send until it is disposed, after its response; the last release disposes it,
    /// and a disposed pool is never held again (the next request with its settings gets a new one).
    /// </summary>
    public sealed class ConnectionPool : IDisposable
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
}
