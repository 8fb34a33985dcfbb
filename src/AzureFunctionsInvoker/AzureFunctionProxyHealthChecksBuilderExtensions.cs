using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Health checks for the functions behind the proxy.
/// </summary>
public static class AzureFunctionProxyHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that the host of the function registered as <paramref name="functionName"/> with
    /// <c>AddAzureFunctionProxy(name, ...)</c> accepts connections: a TCP connection and, over HTTPS, a TLS handshake,
    /// within the function's <c>Timeout</c>. No request is sent to the function. Reports
    /// <paramref name="failureStatus"/> (<see cref="HealthStatus.Unhealthy"/> by default) when it cannot connect.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="functionName">The name the function was registered with.</param>
    /// <param name="name">The check's name; <c>azure-function-{functionName}</c> by default.</param>
    /// <param name="failureStatus">The status reported when the host cannot be reached.</param>
    /// <param name="tags">Tags to filter checks by, e.g. <c>ready</c>.</param>
    /// <returns>The health checks builder.</returns>
    public static IHealthChecksBuilder AddAzureFunctionProxyCheck(
        this IHealthChecksBuilder builder,
        string functionName,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(functionName);

        return builder.Add(new HealthCheckRegistration(
            name ?? $"azure-function-{functionName}",
            services => new FunctionHostHealthCheck(services.GetRequiredService<FunctionRegistry>().Get(functionName)),
            failureStatus,
            tags));
    }
}
