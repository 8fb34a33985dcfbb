using System.Globalization;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary><c>AddAzureFunctionProxyCheck</c>: whether a named function's host takes connections, without calling it.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task A_host_that_accepts_connections_is_healthy_and_no_function_runs()
    {
        await using var env = await StartAsync();

        var report = await env.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["azure-function-orders"].Status);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_host_that_refuses_connections_is_unhealthy_and_the_health_endpoint_says_503()
    {
        await using var env = await StartAsync();
        env.Reload("Functions:orders:Port", Loopback.ClosedPort().ToString(CultureInfo.InvariantCulture));

        var report = await env.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        using var endpoint = await env.Caller.GetAsync(new Uri("/health", UriKind.Relative));

        var entry = report.Entries["azure-function-orders"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("Cannot connect to 127.0.0.1:", entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Function.Key, entry.Description, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, endpoint.StatusCode);
    }

    private static Task<ProxyTestHost> StartAsync() => new ProxyHostBuilder()
        .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
        .ConfigurePipeline(app => app.MapHealthChecks("/health"))
        .ConfigureServices(builder => builder.Services.AddHealthChecks().AddAzureFunctionProxyCheck("orders"))
        .StartAsync();
}
