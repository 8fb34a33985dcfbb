using AzureFunctionsInvoker.FunctionsProxies;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Serves the proxies of an Azure Functions Proxies <c>proxies.json</c> as endpoints, so endpoint metadata applies to
/// them: authorization, rate limiting, CORS, output caching and request timeout policies.
/// </summary>
public static class FunctionsProxiesEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Adds an endpoint per route of the <c>proxies.json</c> registered with <c>services.AddFunctionsProxies(...)</c>,
    /// reading and validating the file now, and following its edits from then on.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <returns>A convention builder for every proxy, including those an edit of the file adds.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>AddFunctionsProxies</c> was not called; <c>LocalFunctionApp</c> names no registered function; or the file is
    /// missing, does not read or does not validate (the message names the file, and where they are known the proxy, the
    /// element and the line).
    /// </exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; the message names its key.</exception>
    public static IEndpointConventionBuilder MapFunctionsProxies(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var services = endpoints.ServiceProvider;
        if (services.GetService<FunctionsProxiesRegistration>() is null)
        {
            throw new InvalidOperationException(
                "Unable to find the required services. Call 'services.AddFunctionsProxies(...)' (builder.Services.AddFunctionsProxies(builder.Configuration.GetSection(\"FunctionsProxies\"))) " +
                "when configuring services before calling 'MapFunctionsProxies'.");
        }

        var dataSource = FunctionsProxiesRegistration.CreateEndpoints(services);
        endpoints.DataSources.Add(dataSource);
        return dataSource;
    }
}
