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
    /// within <paramref name="timeout"/>. No request is sent to the function. Reports
    /// <paramref name="failureStatus"/> (<see cref="HealthStatus.Unhealthy"/> by default) when it cannot connect.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="functionName">The name the function was registered with.</param>
    /// <param name="name">The check's name; <c>azure-function-{functionName}</c> by default.</param>
    /// <param name="failureStatus">The status reported when the host cannot be reached.</param>
    /// <param name="tags">Tags to filter checks by, e.g. <c>ready</c>.</param>
    /// <param name="timeout">How long the check may take: 10 seconds by default, never more than the function's <c>Timeout</c>.</param>
    /// <returns>The health checks builder.</returns>
    public static IHealthChecksBuilder AddAzureFunctionProxyCheck(
        this IHealthChecksBuilder builder,
        string functionName,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(functionName);

        return builder.Add(new HealthCheckRegistration(
            name ?? $"azure-function-{functionName}",
            services => new FunctionHostHealthCheck(services.GetRequiredService<FunctionRegistry>().Get(functionName)),
            failureStatus,
            tags,
            timeout ?? TimeSpan.FromSeconds(10)));
    }
}
