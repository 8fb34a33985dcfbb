using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker;
using AzureFunctionsInvoker.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Puts an Azure Function behind an endpoint, so endpoint metadata applies to it: authorization, rate limiting,
/// CORS and request timeout policies.
/// </summary>
public static class AzureFunctionProxyEndpointRouteBuilderExtensions
{
    // The route parameter of an app mount's pattern: the function called.
    private const string FunctionParameter = "function";

    /// <summary>
    /// Adds an endpoint that forwards the requests matching <paramref name="pattern"/> to the Azure Function
    /// registered as <paramref name="name"/> with <c>services.AddAzureFunctionProxy(name, ...)</c>, following its
    /// options as configuration reloads them. The path below the pattern's literal start goes to the function:
    /// <c>/orders/a/b?c=d</c> on <c>/orders/{**rest}</c> is forwarded to <c>{function}/a/b?c=d</c>.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="pattern">
    /// Literal segments, optionally ending with a catch-all parameter: <c>/orders/{**rest}</c> for everything under
    /// <c>/orders</c>, <c>/orders</c> for that path alone. For an app mount, whose options list <c>Functions</c>, a
    /// <c>{function}</c> segment after the literals: <c>/shop/{function}/{**rest}</c> forwards <c>/shop/orders/42</c> to
    /// <c>{app}/orders/42</c>, and answers 404 for a function not listed.
    /// </param>
    /// <param name="name">The name the function was registered with, in any case.</param>
    /// <returns>The endpoint's convention builder: <c>RequireAuthorization</c>, <c>RequireRateLimiting</c>, <c>RequireCors</c>, <c>WithRequestTimeout</c> and the like.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> has parameters other than <c>{function}</c> and a final catch-all.</exception>
    /// <exception cref="OptionsValidationException">The function's options are invalid; the message names each invalid option.</exception>
    /// <exception cref="InvalidOperationException">
    /// No function was registered as <paramref name="name"/>, or its options do not fit the pattern: <c>Functions</c>
    /// without <c>{function}</c>, or <c>FunctionName</c> with it.
    /// </exception>
    public static IEndpointConventionBuilder MapAzureFunctionProxy(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var routePattern = RoutePatternFactory.Parse(pattern);
        var prefix = LiteralPrefix(routePattern, out var appMount);
        var services = endpoints.ServiceProvider;
        AzureFunctionProxyMarkerService.EnsureRegistered(services, nameof(MapAzureFunctionProxy));
        var named = services.GetRequiredService<FunctionRegistry>().Get(name);
        named.EnsureMountedAs(appMount);
        var proxy = AzureFunctionProxyMiddleware.Create(services, named);
        proxy.EndpointPrefix = prefix;

        // The mount as metadata, for the startup log line to find its endpoint among the app's.
        var endpoint = endpoints.Map(routePattern, proxy.InvokeAsync).WithDisplayName($"Azure Function proxy '{name}'").WithMetadata(proxy);
        services.GetRequiredService<MountLog>().Add(() => FinalPattern(services, proxy) ?? pattern, named);

        // In a route group the endpoint's pattern starts with the group's prefix, known once endpoints are built.
        endpoint.Finally(builder =>
        {
            if (builder is RouteEndpointBuilder { RoutePattern: var final })
            {
                proxy.EndpointPrefix = LiteralPrefix(final, out _);
            }
        });
        return endpoint;
    }

    // The endpoint's pattern, a route group's prefix included, from the app's endpoints: reading them builds them, as
    // the first request would. Null when the endpoint is not among them (its builder's data sources were not added to
    // the app's routing).
    private static string? FinalPattern(IServiceProvider services, AzureFunctionProxyMiddleware proxy) =>
        services.GetService<EndpointDataSource>()?.Endpoints
            .OfType<RouteEndpoint>()
            .FirstOrDefault(endpoint => ReferenceEquals(endpoint.Metadata.GetMetadata<AzureFunctionProxyMiddleware>(), proxy))?
            .RoutePattern.RawText;

    // "/orders/v1/{**rest}" -> "/orders/v1"; "/shop/{function}/{**rest}" -> "/shop", an app mount. Anything else
    // between the literals would make the function's path depend on how routing matched, so it is refused.
    private static PathString LiteralPrefix(RoutePattern pattern, out bool appMount)
    {
        var literals = new List<string>();
        var segments = pattern.PathSegments;
        appMount = false;
        for (var i = 0; i < segments.Count; i++)
        {
            var parts = segments[i].Parts;
            var last = i == segments.Count - 1;
            if (!appMount && parts is [RoutePatternLiteralPart literal])
            {
                literals.Add(literal.Content);
            }
            else if (!appMount && IsFunctionParameter(parts) && (last || IsCatchAll(segments[i + 1].Parts)))
            {
                appMount = true;
            }
            else if (!last || !IsCatchAll(parts))
            {
                throw new ArgumentException(
                    $"The route pattern '{pattern.RawText ?? pattern.ToString()}' must be literal segments, optionally followed by " +
                    "'{function}' for an app mount, optionally ending with a catch-all parameter, such as '/orders/{**rest}' or " +
                    "'/shop/{function}/{**rest}'.",
                    nameof(pattern));
            }
        }

        return literals.Count == 0 ? PathString.Empty : new PathString("/" + string.Join('/', literals));
    }

    private static bool IsFunctionParameter(IReadOnlyList<RoutePatternPart> parts) =>
        parts is [RoutePatternParameterPart { Name: FunctionParameter, IsCatchAll: false, IsOptional: false, Default: null }];

    private static bool IsCatchAll(IReadOnlyList<RoutePatternPart> parts) => parts is [RoutePatternParameterPart { IsCatchAll: true }];
}
