
namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The forwarded request, carrying what the connection handler needs from its mount: the connection settings
/// that pick its pool, and its <see cref="StepTimeout"/> for the connect step. Carried as properties rather than
/// in <see cref="HttpRequestMessage.Options"/>, which would cost every forward a dictionary; only when the app
/// added handlers, which may send a copy of the request (hedging does), does it also ride in the options.
/// It holds the pool it was sent through until it is disposed, which the forwarder does after the response.
/// </summary>
internal sealed class FunctionRequestMessage : HttpRequestMessage
{
    private static readonly HttpRequestOptionsKey<FunctionRequestMessage> s_original = new("AzureFunctionsInvoker.FunctionRequest");

    // Marks a disposed request, which holds no pool any more.
    private static readonly object s_disposed = new();

    // The held ConnectionPool, null before the first send, or s_disposed.
    private object? _pool;

    public FunctionRequestMessage(HttpMethod method, Uri target, ConnectionSettings connection, StepTimeout timeout)
        : base(method, target)
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
    /// budget: a request that runs out of <c>Timeout</c> meanwhile found no connection, rather than a slow function.
    /// Kept by its <see cref="StepTimeout"/>, in room its fields leave, so a request costs no byte more for it.
    /// </summary>
    public bool WaitingForConnection
    {
        get => Timeout.WaitingForConnection;
        set => Timeout.WaitingForConnection = value;
    }

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
