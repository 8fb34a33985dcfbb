using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace MinimalApi;

/// <summary>
/// What several instances of the sample behind a load balancer share (docs/scale-out.md): with
/// <c>ConnectionStrings:Redis</c> set, the Data Protection key ring that Durable links are made with, and the output
/// cache of <c>/cached</c>, both in that Redis; without it, keys on this machine's disk and the cache in memory, as for
/// a single instance.
/// </summary>
internal static class ScaleOut
{
    /// <summary>The Data Protection application name every instance shares: links made by one open at another.</summary>
    public const string ApplicationName = "AzureFunctionsInvoker.MinimalApi";

    private const string KeyRingKey = "AzureFunctionsInvoker:DataProtection-Keys";

    public static void AddScaleOut(this WebApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrEmpty(redis))
        {
            builder.Services.AddOutputCache();
            return;
        }

        // One connection for both; abortConnect=false lets the app start while Redis is still coming up.
        var connection = ConnectionMultiplexer.Connect(ConfigurationOptions.Parse(redis).Apply(options => options.AbortOnConnectFail = false));
        builder.Services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToStackExchangeRedis(connection, KeyRingKey);
        builder.Services.AddStackExchangeRedisOutputCache(options =>
        {
            options.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(connection);
            options.InstanceName = "AzureFunctionsInvoker:";
        });
        builder.Services.AddOutputCache();
    }
}
