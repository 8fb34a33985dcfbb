using AzureFunctionsInvoker;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the services of <c>UseAzureFunctionProxy</c>.
/// </summary>
public static class AzureFunctionProxyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>AzureFunctionsInvoker</c> client of <see cref="IHttpClientFactory"/>, whose handler
    /// pipeline forwards requests to Azure Functions.
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

        services.TryAddSingleton<AzureFunctionProxyMarkerService>();
        services.TryAddSingleton<FunctionForwarder>();
        return services.AddHttpClient(FunctionForwarder.ClientName)
            // The proxy logs its own events; the factory's two log lines per request would cost every forward
            // a formatted address and a logging scope, whatever the log level.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(static () => new FunctionHttpHandler())
            // The handler owns the connection pools; rebuilding it every two minutes would cap Keepalive.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
    }
}
