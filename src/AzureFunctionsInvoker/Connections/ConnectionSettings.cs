using System.Net;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The options that shape a connection to a Function App rather than a request. Mounts with equal settings
/// share one connection pool; each request carries its mount's settings on its <see cref="FunctionHttpHandler.FunctionRequestMessage"/>.
/// A class made once per set of options, so a request carries a reference to them rather than a copy of their 24 bytes.
/// They make the handler of the pool that serves them (<see cref="CreateHandler"/>).
/// <paramref name="MaxConnections"/> is <c>MaxConnectionsPerBackend</c>: each pool keeps its own budget per backend.
/// </summary>
internal sealed record ConnectionSettings(TimeSpan IdleTimeout, TimeSpan ConnectTimeout, bool VerifyCertificate, int? MaxConnections = null)
{
    // Connections are recycled after this long even when never idle, so a Function App's new address is found.
    private static readonly TimeSpan s_connectionLifetime = TimeSpan.FromMinutes(5);

    public static ConnectionSettings From(AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(
            TimeSpan.FromMilliseconds(options.Keepalive),
            TimeSpan.FromMilliseconds(options.Timeout),
            options.HttpsVerify,
            options.MaxConnectionsPerBackend);
    }

    /// <summary>
    /// The handler whose connections a pool with these settings owns. A forwarder passes requests and responses through
    /// untouched: no proxy, cookies, redirects or decompression. <paramref name="instruments"/> count its connections.
    /// </summary>
    public SocketsHttpHandler CreateHandler(ConnectionInstruments? instruments = null)
    {
        var connections = new BackendConnections(MaxConnections, instruments);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = IdleTimeout,
            PooledConnectionLifetime = s_connectionLifetime,
            ConnectTimeout = ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = connections.ConnectAsync,
            PlaintextStreamFilter = connections.SettleAsync,
            // HttpVersion 2: another connection when one has as many streams open as the server allows.
            EnableMultipleHttp2Connections = true,
            RequestHeaderEncodingSelector = FunctionHttpHandler.FunctionRequestMessage.SendingHeader,
        };

        if (!VerifyCertificate)
        {
            // The user turned HttpsVerify off on purpose (a dev host with a self-signed certificate); a startup warning says so.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return handler;
    }
}
