using AzureFunctionsInvoker;
using AzureFunctionsInvoker.FunctionsProxies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the services of <c>MapFunctionsProxies</c>, which serves an Azure Functions Proxies <c>proxies.json</c>.
/// </summary>
public static class FunctionsProxiesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the proxies of a <c>proxies.json</c>, with <see cref="FunctionsProxiesOptions"/> bound to
    /// <paramref name="configuration"/> (e.g. the section <c>FunctionsProxies</c>: <c>File</c>, <c>LocalFunctionApp</c>,
    /// <c>Timeout</c>, ...), for <c>app.MapFunctionsProxies()</c>. The file is read when the proxies are mapped and
    /// watched from then on; the options are read once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section of the options.</param>
    /// <returns>
    /// The builder of the client proxies to other hosts send through, <c>AzureFunctionsInvoker.FunctionsProxies</c>, to
    /// add handlers as for any named client. A <c>backendUri</c> on <c>localhost</c> sends through the client of
    /// <see cref="FunctionsProxiesOptions.LocalFunctionApp"/>.
    /// </returns>
    public static IHttpClientBuilder AddFunctionsProxies(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<FunctionsProxiesOptions>().Bind(configuration);
        return services.AddFunctionsProxiesCore(configuration is IConfigurationSection section ? section.Path : null);
    }

    /// <summary>
    /// Registers the proxies of a <c>proxies.json</c>, with <see cref="FunctionsProxiesOptions"/> set in code, for
    /// <c>app.MapFunctionsProxies()</c>. See <see cref="AddFunctionsProxies(IServiceCollection, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureOptions">Sets the options, starting from their defaults.</param>
    /// <returns>The builder of the client proxies to other hosts send through.</returns>
    public static IHttpClientBuilder AddFunctionsProxies(this IServiceCollection services, Action<FunctionsProxiesOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureOptions);

        services.AddOptions<FunctionsProxiesOptions>().Configure(configureOptions);
        return services.AddFunctionsProxiesCore(sectionPath: null);
    }

    private static IHttpClientBuilder AddFunctionsProxiesCore(this IServiceCollection services, string? sectionPath)
    {
        services.TryAddSingleton(new FunctionsProxiesRegistration(sectionPath));
        services.TryAddSingleton(FunctionsProxiesRegistration.CreateFile);
        return services.AddProxyCore(ProxiesFile.ClientName);
    }
}
