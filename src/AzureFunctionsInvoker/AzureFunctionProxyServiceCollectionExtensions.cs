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
    /// Registers the typed <see cref="HttpClient"/> that forwards requests to Azure Functions.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>
    /// The client's builder, to add handlers (resilience, authentication, logging) as for any typed client.
    /// Its primary handler pools connections per mount's <c>Keepalive</c>, <c>Timeout</c> and <c>HttpsVerify</c>;
    /// replacing it gives those options up. The client's own timeout is off: <c>Timeout</c> applies per step
    /// instead. The handler lifetime is infinite, since idle connections already close after <c>Keepalive</c> and
    /// busy ones are recycled after five minutes.
    /// </returns>
    public static IHttpClientBuilder AddAzureFunctionProxy(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddSingleton<AzureFunctionProxyMarkerService>();
        return services.AddHttpClient<FunctionForwarder>(FunctionForwarder.ClientName)
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new FunctionHttpHandler())
            // The handler owns the connection pools; rebuilding it every two minutes would cap Keepalive.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
    }
}
