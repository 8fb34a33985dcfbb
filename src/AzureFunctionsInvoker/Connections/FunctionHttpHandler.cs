using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The primary handler of the proxy's <see cref="HttpClient"/>: a <see cref="ConnectionPool"/> per distinct
/// <see cref="ConnectionSettings"/>, so each mount gets its own idle timeout and certificate policy while handlers the
/// user adds through <c>AddAzureFunctionProxy()</c> wrap them all. A pool lives while a current target of its client
/// uses its settings (<see cref="LiveConnectionSettings"/>) or a request sent through it is not yet disposed, so a
/// reload that changes the settings leaves no pool behind once the requests that used the old one have finished.
/// </summary>
internal sealed class FunctionHttpHandler : HttpMessageHandler
{
    // For a request a user's handler built itself, without the mount's settings.
    private static readonly ConnectionSettings s_defaults = ConnectionSettings.From(new AzureFunctionProxyOptions());

    // Connections are recycled after this long even when never idle, so a Function App's new address is found.
    private static readonly TimeSpan s_connectionLifetime = TimeSpan.FromMinutes(5);

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
        _defaults = new(s_defaults, CreateHandler(s_defaults, instruments));
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
            pool = new ConnectionPool(settings, CreateHandler(settings, _instruments), Remove);
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

    // A forwarder passes requests and responses through untouched: no proxy, cookies, redirects or decompression.
    internal static SocketsHttpHandler CreateHandler(ConnectionSettings settings, ConnectionInstruments? instruments = null)
    {
        var connections = new BackendConnections(settings.MaxConnections, instruments);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = settings.IdleTimeout,
            PooledConnectionLifetime = s_connectionLifetime,
            ConnectTimeout = settings.ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = connections.ConnectAsync,
            PlaintextStreamFilter = connections.SettleAsync,
            // HttpVersion 2: another connection when one has as many streams open as the server allows.
            EnableMultipleHttp2Connections = true,
            // Kestrel decodes request header values as UTF-8 (and refuses invalid UTF-8), so encoding them back as
            // UTF-8 sends the function the caller's bytes. The default (ASCII only) would fail the whole request.
            RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        };

        if (!settings.VerifyCertificate)
        {
            // The user turned HttpsVerify off on purpose (a dev host with a self-signed certificate); a startup warning says so.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return handler;
    }
}
