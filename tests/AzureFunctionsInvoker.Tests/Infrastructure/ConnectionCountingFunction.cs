using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A function on 127.0.0.1 that counts the connections made to it (open now, the most open at once, all made) and
/// answers every request with <see cref="Answer"/>. It speaks the HTTP versions it is given: HTTP/1.1, HTTP/2 with prior
/// knowledge (h2c), or, with a certificate, what ALPN agrees on.
/// </summary>
public sealed class ConnectionCountingFunction : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _open;
    private int _maxOpen;
    private int _made;

    private ConnectionCountingFunction(WebApplication app, Func<HttpContext, Task> answer)
    {
        _app = app;
        Answer = answer;
    }

    public int Port { get; private set; }

    /// <summary>What every request is answered with.</summary>
    public Func<HttpContext, Task> Answer { get; set; }

    public int OpenConnections => Volatile.Read(ref _open);

    public int MaxOpenConnections => Volatile.Read(ref _maxOpen);

    public int ConnectionsMade => Volatile.Read(ref _made);

    /// <summary>The HTTP versions requests arrived with (<c>HTTP/1.1</c>, <c>HTTP/2</c>), one per request.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Protocols { get; } = new();

    public static async Task<ConnectionCountingFunction> StartAsync(
        Func<HttpContext, Task> answer, HttpProtocols protocols = HttpProtocols.Http1, X509Certificate2? certificate = null, int maxStreamsPerConnection = 100)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Logging.ClearProviders();
        ConnectionCountingFunction? function = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = maxStreamsPerConnection;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = protocols;
                listen.Use(next => connection => function!.CountAsync(next, connection));
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        function = new ConnectionCountingFunction(app, answer);
        app.Run(context =>
        {
            function.Protocols.Enqueue(context.Request.Protocol);
            return function.Answer(context);
        });
        await app.StartAsync();
        function.Port = new Uri(app.Urls.First()).Port;
        return function;
    }

    /// <summary>Stops listening and closes every connection to the function.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task CountAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        Interlocked.Increment(ref _made);
        var open = Interlocked.Increment(ref _open);
        int max;
        while (open > (max = Volatile.Read(ref _maxOpen)) && Interlocked.CompareExchange(ref _maxOpen, open, max) != max)
        {
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }
}
