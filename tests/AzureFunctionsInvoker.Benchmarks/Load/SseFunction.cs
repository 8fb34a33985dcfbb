using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// The <c>sse-function</c> command behind <c>HTTP2=1 Load/idle-streams.sh</c>: idle_sse.py's stand-in function over
/// HTTP/2 with prior knowledge (h2c), which the Python one does not speak. On 127.0.0.1:<c>--port</c>, every request
/// with <c>x-functions-key: --key</c> gets a server-sent event stream, one event at once and then one every
/// <c>--interval</c> seconds until the proxy resets the stream; a path ending in <c>/ready</c> gets 200 "ok". Kestrel
/// allows 100 streams per connection, as App Service's front ends do.
/// </summary>
internal static class SseFunction
{
    public static Task RunAsync(string[] options)
    {
        var builder = WebApplication.CreateSlimBuilder(options);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var port = builder.Configuration.GetValue<int>("port");
        var key = builder.Configuration["key"];
        var interval = TimeSpan.FromSeconds(builder.Configuration.GetValue("interval", 20));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 100;
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            if (context.Request.Headers["x-functions-key"] != key)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            if (context.Request.Path.Value?.EndsWith("/ready", StringComparison.Ordinal) == true)
            {
                await context.Response.WriteAsync("ok");
                return;
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            try
            {
                for (var sequence = 0; ; sequence++)
                {
                    await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"id: {sequence}\ndata: tick {sequence}\n\n"), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(interval, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The proxy hung up.
            }
        });
        return app.RunAsync();
    }
}
