using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>The proxy apps of the integration tests: Kestrel on 127.0.0.1 with a port the OS picks, every log line captured.</summary>
public static class LoopbackApp
{
    public static WebApplicationBuilder CreateBuilder(CapturingLoggerProvider logs, HttpProtocols protocols = HttpProtocols.Http1)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols));

        // A provider rule outranks any "Logging" configuration that reaches the test's content root.
        builder.Logging.ClearProviders().AddProvider(logs).AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
        return builder;
    }

    public static int Port(WebApplication app) => new Uri(app.Urls.First()).Port;

    /// <summary>A caller that sends what it is given: no cookies, redirects or proxy of its own.</summary>
    public static HttpClient Caller(int port) =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        };
}
