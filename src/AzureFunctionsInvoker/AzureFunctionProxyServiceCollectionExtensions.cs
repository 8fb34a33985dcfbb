using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the services of <c>UseAzureFunctionProxy</c> and <c>MapAzureFunctionProxy</c>.
/// </summary>
public static class AzureFunctionProxyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>AzureFunctionsInvoker</c> client of <see cref="IHttpClientFactory"/>, whose handler
    /// pipeline forwards the requests of functions mounted with options given in code.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>
    /// The client's builder, to add handlers (resilience, authentication, logging) as for any named client.
    /// Its primary handler pools connections per mount's <c>Keepalive</c>, <c>Timeout</c> and <c>HttpsVerify</c>;
    /// replacing it gives those options up. The proxy sends through the pipeline with an
    /// <see cref="HttpMessageInvoker"/>, so settings of the <see cref="HttpClient"/> itself
    /// (<c>ConfigureHttpClient</c>: its timeout, base address, default headers) do not apply: <c>Timeout</c>
    /// applies per step instead. The handler lifetime is infinite, since idle connections already close after
    /// <c>Keepalive</c> and busy ones are recycled after five minutes.
    /// </returns>
    public static IHttpClientBuilder AddAzureFunctionProxy(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        return services.AddProxyCore(FunctionForwarder.ClientName);
    }

    /// <summary>
    /// Registers the Azure Function <paramref name="name"/> with options bound to <paramref name="configuration"/>
    /// (the keys are the property names of <see cref="AzureFunctionProxyOptions"/>), for
    /// <c>app.UseAzureFunctionProxy(path, name)</c> and <c>endpoints.MapAzureFunctionProxy(pattern, name)</c>.
    /// The options are validated when the host starts, even if nothing mounts the function (or earlier, when a mount
    /// reads them), and on every reload; a reload applies to requests that start after it, and an invalid one is
    /// logged and ignored.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The function's name in the app, e.g. <c>orders</c>: case-insensitive, as configuration keys are.</param>
    /// <param name="configuration">The configuration section of the function, e.g. <c>AzureFunctions:Orders</c>.</param>
    /// <returns>
    /// The builder of the function's own client, <c>AzureFunctionsInvoker.{name}</c>, with its own connection pools,
    /// to add handlers for this function only. See <see cref="AddAzureFunctionProxy(IServiceCollection)"/>.
    /// </returns>
    /// <exception cref="InvalidOperationException">A function whose name differs from <paramref name="name"/> only in case is registered.</exception>
    public static IHttpClientBuilder AddAzureFunctionProxy(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<AzureFunctionProxyOptions>(name).Bind(configuration);

        // Kept for validation messages, which name the path of the key to fix (AzureFunctions:Orders:Timeout); a
        // configuration root's keys are the property names themselves.
        return services.AddNamedFunction(name, configuration is IConfigurationSection section ? section.Path : string.Empty);
    }

    /// <summary>
    /// Registers the Azure Function <paramref name="name"/> with options set in code, for
    /// <c>app.UseAzureFunctionProxy(path, name)</c> and <c>endpoints.MapAzureFunctionProxy(pattern, name)</c>.
    /// See <see cref="AddAzureFunctionProxy(IServiceCollection, string, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The function's name in the app, e.g. <c>orders</c>: case-insensitive, as configuration keys are.</param>
    /// <param name="configureOptions">Sets the options, starting from their defaults (and any configuration bound to the name).</param>
    /// <returns>The builder of the function's own client, <c>AzureFunctionsInvoker.{name}</c>.</returns>
    /// <exception cref="InvalidOperationException">A function whose name differs from <paramref name="name"/> only in case is registered.</exception>
    public static IHttpClientBuilder AddAzureFunctionProxy(this IServiceCollection services, string name, Action<AzureFunctionProxyOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configureOptions);

        services.AddOptionsWithValidateOnStart<AzureFunctionProxyOptions>(name).Configure(configureOptions);
        return services.AddNamedFunction(name, sectionPath: null);
    }

    private static IHttpClientBuilder AddNamedFunction(this IServiceCollection services, string name, string? sectionPath)
    {
        RegisteredFunction.Add(services, name, sectionPath);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AzureFunctionProxyOptions>, NamedFunctionStartupValidator>());
        return services.AddProxyCore(FunctionForwarder.ClientNameFor(name));
    }

    internal static IHttpClientBuilder AddProxyCore(this IServiceCollection services, string clientName)
    {
        services.TryAddSingleton<AzureFunctionProxyMarkerService>();
        services.TryAddSingleton<MountLog>();
        services.TryAddSingleton<FunctionRegistry>();
        services.TryAddSingleton<LiveConnectionSettings>();
        services.TryAddSingleton<EventStreamDrain>();
        services.TryAddSingleton(new RequestBodyBuffer());
        services.AddMetrics();
        services.TryAddSingleton<ProxyMetrics>();
        // Step timeouts run on the app's clock (a fake one in tests), as YARP's activity timeout does.
        services.TryAddSingleton(TimeProvider.System);
        // Durable links' tokens: the app's key ring, shared by its instances as for its cookies and antiforgery tokens.
        AddDataProtectionOnDemand(services);
        services.TryAddSingleton(services => new CircuitRegistry(
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ProxyMetrics>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<CircuitRegistry>()));
        return services.AddHttpClient(clientName)
            // The proxy logs its own events; the factory's two log lines per request would cost every forward
            // a formatted address and a logging scope, whatever the log level.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(services => new FunctionHttpHandler(
                services.GetRequiredService<LiveConnectionSettings>(), clientName, ConnectionInstrumentsOf(services.GetRequiredService<ProxyMetrics>())))
            // The handler owns the connection pools; rebuilding it every two minutes would cap Keepalive.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
    }

    private static ConnectionInstruments ConnectionInstrumentsOf(ProxyMetrics metrics) => new(metrics.OpenConnections, metrics.ConnectionWaits);

    // Data Protection's own registration adds a hosted service that loads the key ring when the app starts (a key file
    // written on first run, its XML stack loaded: about 10 MiB). Most mounts never make a Durable link, so when that
    // service comes from this call alone it is left out, and the key ring loads with the first link instead. An app that
    // registers Data Protection itself, before or after, keeps its warm-up.
    private static void AddDataProtectionOnDemand(IServiceCollection services)
    {
        var hostedServices = services.Where(service => service.ServiceType == typeof(IHostedService)).ToHashSet();
        services.AddDataProtection();
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && !hostedServices.Contains(services[i])
                && services[i].ImplementationType?.Namespace?.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) == true)
            {
                services.RemoveAt(i);
            }
        }
    }
}
