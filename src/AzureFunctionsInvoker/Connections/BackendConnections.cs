using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The connections one <see cref="FunctionHttpHandler.ConnectionPool"/> opens, per backend (host and port): each is made by
/// <see cref="ConnectAsync"/>, which, with <c>MaxConnectionsPerBackend</c>, first takes one of the backend's budget of
/// connections, waiting while every one is open; the connection gives it back when it closes. So a backend never has
/// more connections open from the pool than its budget, over HTTP/1.1 and HTTP/2 alike (the handler's own
/// <c>MaxConnectionsPerServer</c> bounds HTTP/1.1 only, and queues requests where nothing can tell which one waited).
/// A request whose own connection attempt is waiting says so (<see cref="FunctionHttpHandler.FunctionRequestMessage.WaitingForConnection"/>),
/// so that running out of <c>Timeout</c> there is told apart from a slow function. Each connection is counted open,
/// by the protocol it speaks, once TLS has settled it (<see cref="SettleAsync"/>).
/// </summary>
internal sealed class BackendConnections(int? maxConnections, ConnectionInstruments? instruments)
{
    private readonly int? _maxConnections = maxConnections;
    private readonly ConnectionInstruments? _instruments = instruments;

    // What the connections to each backend share, so that each connection keeps one reference for all of it.
    private readonly ConcurrentDictionary<(string Host, int Port), BackendEntry> _backends = new();

    // Connections made for a request over TLS and not yet settled by the plaintext filter, by the request they were
    // made for: the filter is handed TLS's stream over them. A connection without TLS is the filter's stream itself.
    private readonly ConcurrentDictionary<HttpRequestMessage, CountedConnection> _unsettled = new();

    /// <summary>The connections made and not yet settled by TLS nor closed, each holding the request it was made for.</summary>
    internal int UnsettledCount => _unsettled.Count;

    /// <summary>The default connect, within the backend's budget, plus: a connection made is a step done, so the TLS handshake and the response headers get a Timeout of their own.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var request = FunctionHttpHandler.FunctionRequestMessage.Of(context.InitialRequestMessage);
        var backend = _backends.GetOrAdd((endpoint.Host, endpoint.Port), static (key, owner) => new(owner, key.Host, key.Port), this);
        var budget = backend.Budget;
        if (budget is not null && !budget.Wait(0, CancellationToken.None))
        {
            await WaitForBudgetAsync(budget, endpoint, request, cancellationToken).ConfigureAwait(false);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            budget?.Release();
            throw;
        }

        request?.Timeout.ConnectionEstablished();

        var connection = new CountedConnection(socket, backend, context.InitialRequestMessage);
        if (context.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttps)
        {
            _unsettled[context.InitialRequestMessage] = connection;
        }

        return connection;
    }

    /// <summary>Counts the connection open, by the protocol TLS (or prior knowledge) settled; the stream is passed on as is.</summary>
    public ValueTask<Stream> SettleAsync(SocketsHttpPlaintextStreamFilterContext context, CancellationToken _)
    {
        var connection = context.PlaintextStream as CountedConnection;
        if (connection is not null || _unsettled.TryRemove(context.InitialRequestMessage, out connection))
        {
            connection.Settle(context.NegotiatedHttpVersion.Major >= 2 ? CountedConnection.Http2 : CountedConnection.Http11);
        }

        return ValueTask.FromResult(context.PlaintextStream);
    }

    private async Task WaitForBudgetAsync(SemaphoreSlim budget, DnsEndPoint endpoint, FunctionHttpHandler.FunctionRequestMessage? request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        request?.Timeout.WaitForConnection();
        try
        {
            await budget.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (request?.Timeout is { HasExpired: true, Sent: false })
        {
            // The request ran out of Timeout waiting (it gets 503). An attempt whose request a freed connection served
            // first is given up by the handler some seconds later, or once that request's Timeout ran out on a slow
            // function: that is no wait of a request's, and not recorded.
            _instruments?.Waited(endpoint.Host, endpoint.Port, Stopwatch.GetElapsedTime(started), got: false);
            throw;
        }

        request?.Timeout.ConnectionGranted();
        _instruments?.Waited(endpoint.Host, endpoint.Port, Stopwatch.GetElapsedTime(started), got: true);
    }

    // One backend's address, as its connections are counted, and its budget (with MaxConnectionsPerBackend).
    private sealed class BackendEntry(BackendConnections owner, string host, int port)
    {
        public BackendConnections Owner { get; } = owner;

        public string Host { get; } = host;

        public int Port { get; } = port;

        public SemaphoreSlim? Budget { get; } = owner._maxConnections is int max ? new(max, max) : null;
    }

    // A connection to the function: counted open once settled, until disposed, when it gives its budget back. It keeps
    // its backend's shared entry and one state word, so an open connection costs little more than its NetworkStream.
    private sealed class CountedConnection(Socket socket, BackendEntry backend, HttpRequestMessage madeFor)
        : NetworkStream(socket, ownsSocket: true)
    {
        public const int Http11 = 1;
        public const int Http2 = 2;
        private const int Closed = 4;

        // Unsettled (0), the protocol settled (Http11, Http2), or'd with Closed once disposed.
        private int _state;

        public void Settle(int version)
        {
            if (Interlocked.CompareExchange(ref _state, version, 0) == 0)
            {
                backend.Owner._instruments?.Count(backend.Host, backend.Port, Version(version), +1);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Or(ref _state, Closed) is var state && (state & Closed) == 0)
            {
                backend.Owner._unsettled.TryRemove(KeyValuePair.Create(madeFor, this));
                if (state != 0)
                {
                    backend.Owner._instruments?.Count(backend.Host, backend.Port, Version(state), -1);
                }

                backend.Budget?.Release();
            }

            base.Dispose(disposing);
        }

        private static string Version(int version) => version == Http2 ? "2" : "1.1";
    }
}
