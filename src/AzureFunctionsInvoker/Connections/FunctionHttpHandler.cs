using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The primary handler of the proxy's <see cref="HttpClient"/>: a pooled <see cref="SocketsHttpHandler"/> per
/// distinct <see cref="ConnectionSettings"/>, so each mount gets its own idle timeout and certificate policy
/// while handlers the user adds through <c>AddAzureFunctionProxy()</c> wrap them all.
/// </summary>
internal sealed class FunctionHttpHandler : HttpMessageHandler
{
    // For a request a user's handler built itself, without the mount's settings.
    private static readonly ConnectionSettings s_defaults = ConnectionSettings.From(new AzureFunctionProxyOptions());

    // Connections are recycled after this long even when never idle, so a Function App's new address is found.
    private static readonly TimeSpan s_connectionLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<ConnectionSettings, Lazy<HttpMessageInvoker>> _pools = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var settings = FunctionRequestMessage.Of(request)?.Connection ?? s_defaults;
        var pool = _pools.GetOrAdd(settings, static s => new(() => new HttpMessageInvoker(CreateHandler(s), disposeHandler: true)));
        return pool.Value.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var pool in _pools.Values.Where(p => p.IsValueCreated))
            {
                pool.Value.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    // The default connect, plus: a connection made is a step done, so the TLS handshake and the response
    // headers get a Timeout of their own.
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        FunctionRequestMessage.Of(context.InitialRequestMessage)?.Timeout.ConnectionEstablished();

        return new NetworkStream(socket, ownsSocket: true);
    }

    // A forwarder passes requests and responses through untouched: no proxy, cookies, redirects or decompression.
    internal static SocketsHttpHandler CreateHandler(ConnectionSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = settings.IdleTimeout,
            PooledConnectionLifetime = s_connectionLifetime,
            ConnectTimeout = settings.ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
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
