using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// This library as the README shows it: <c>AddAzureFunctionProxy()</c> and <c>UseAzureFunctionProxy</c>, pointed at
/// the stand-in over plain HTTP. It adds the key and <c>X-Forwarded-*</c>, like <see cref="YarpProxy"/>.
/// </summary>
internal static class LibraryProxy
{
    public static WebApplication Build(WebApplicationBuilder builder, int functionPort, string functionKey)
    {
        builder.Services.AddAzureFunctionProxy();
        var app = builder.Build();
        app.UseAzureFunctionProxy(LoadProxyHost.MountPath, new AzureFunctionProxyOptions
        {
            AppName = "127.0.0.1",
            HostDomain = string.Empty,
            Https = false,
            Port = functionPort,
            FunctionName = "hello",
            ApiKey = functionKey,

            // memory.sh uploads 1 GiB; YARP has no limit of its own either.
            MaxRequestBodySize = null,

            // AZFI_LOAD_DURABLE_LINKS_PATH= (empty) turns Durable links, and so the streamed-body scan, off.
            DurableLinksPath = Environment.GetEnvironmentVariable("AZFI_LOAD_DURABLE_LINKS_PATH") ?? "_durable",

            // AZFI_LOAD_HTTP_VERSION=2: HTTP/2 to the stand-in (h2c); AZFI_LOAD_MAX_CONNECTIONS: MaxConnectionsPerBackend.
            HttpVersion = Environment.GetEnvironmentVariable("AZFI_LOAD_HTTP_VERSION") ?? "1.1",
            MaxConnectionsPerBackend = int.TryParse(Environment.GetEnvironmentVariable("AZFI_LOAD_MAX_CONNECTIONS"), out var max) ? max : null,
        });
        return app;
    }
}
