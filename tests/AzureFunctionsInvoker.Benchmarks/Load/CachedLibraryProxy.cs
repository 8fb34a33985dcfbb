using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// This library as docs/scale-out.md shows it with output caching: the function mounted with
/// <c>MapAzureFunctionProxy</c> and, by <c>--cache</c>, no cache (<c>none</c>), <c>CacheOutput()</c> with the in-memory
/// store (<c>memory</c>) or with the Redis store at <c>--redis</c> (<c>redis</c>). Load/cache.sh runs all three.
/// </summary>
internal static class CachedLibraryProxy
{
    public static WebApplication Build(WebApplicationBuilder builder, int functionPort, string functionKey)
    {
        var cache = builder.Configuration["cache"] ?? "memory";
        builder.Services.AddAzureFunctionProxy("hello", options =>
        {
            options.AppName = "127.0.0.1";
            options.HostDomain = string.Empty;
            options.Https = false;
            options.Port = functionPort;
            options.FunctionName = "hello";
            options.ApiKey = functionKey;
        });
        builder.Services.AddOutputCache();
        if (cache == "redis")
        {
            builder.Services.AddStackExchangeRedisOutputCache(options => options.Configuration = builder.Configuration["redis"]);
        }

        var app = builder.Build();
        app.UseOutputCache();
        var mount = app.MapAzureFunctionProxy($"{LoadProxyHost.MountPath}/{{**rest}}", "hello");
        if (cache != "none")
        {
            mount.CacheOutput(policy => policy.Expire(TimeSpan.FromHours(1)));
        }

        return app;
    }
}
