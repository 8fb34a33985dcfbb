using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Where requests go, in the log: a line per mount when the app starts, the address in a reload's line, and each
/// forwarded request's address at Debug, never its query. The environments check that no line holds the key.
/// </summary>
public sealed class WhereRequestsGoTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_start_logs_a_branchs_mount_point_and_the_functions_address()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.RoutePrefix = "/v1/api").StartAsync();

        var mounted = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Mounted");
        Assert.Equal(LogLevel.Information, mounted.Level);
        Assert.Contains($"Mounted /mytest -> http://127.0.0.1:{env.Function.Port}/v1/api/echo (Azure Function 'echo').", mounted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_logs_an_endpoints_route_pattern_with_its_groups_prefix_and_the_registered_name()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.MapGroup("/shop").MapAzureFunctionProxy("/orders/{**rest}", "Orders"))
            .StartAsync();

        var mounted = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Mounted");
        Assert.Equal(LogLevel.Information, mounted.Level);
        Assert.Contains($"Mounted /shop/orders/{{**rest}} -> http://127.0.0.1:{env.Function.Port}/api/echo (Azure Function 'orders').", mounted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mounts_are_logged_in_the_order_the_app_made_them()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo", ["billing"] = "echo" })
            .ConfigurePipeline(app =>
            {
                app.MapAzureFunctionProxy("/orders/{**rest}", "orders");
                app.UseAzureFunctionProxy("/billing", "billing");
                app.MapAzureFunctionProxy("/orders-too", "orders");
            })
            .StartAsync();

        var mountPoints = env.Logs.Entries.Where(e => e.EventId.Name == "Mounted").Select(e => e.Text.Split(' ')[2]);

        Assert.Equal(["/orders/{**rest}", "/billing", "/orders-too"], mountPoints);
    }

    [Fact]
    public async Task Each_forward_logs_the_functions_address_with_the_path_at_debug_but_never_the_query()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.GetAsync(new Uri("/mytest/orders/42?token=caller-secret", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarding = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Forwarding");
        Assert.Equal(LogLevel.Debug, forwarding.Level);
        Assert.Contains($"Forwarding a GET request to http://127.0.0.1:{env.Function.Port}/api/echo/orders/42 (Azure Function 'echo').", forwarding.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("caller-secret", forwarding.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_logs_the_functions_new_address()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();

        env.Reload("Functions:orders:RoutePrefix", "/v2");

        await env.Logs.WaitForAsync("Reloaded", s_bound);
        var reloaded = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Reloaded");
        Assert.Contains(
            $"The reloaded options of the Azure Function 'orders' apply from the next request on: its requests go to http://127.0.0.1:{env.Function.Port}/v2/echo.",
            reloaded.Text,
            StringComparison.Ordinal);
    }
}
