using System.Diagnostics.Metrics;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// <c>MaxConnectionsPerBackend</c> over real sockets: a stand-in that counts its connections, many callers at once, and
/// the meter's connection instruments.
/// </summary>
public sealed class ConnectionBudgetTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

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

        // Answered, refused for want of a connection, or (a connection that came free too late for the function to
        // answer within Timeout, or for the connect to finish) 504: never a hang, never another failure. A 502 here
        // was a connect the connection handler gave up on its own clock just before the request's Timeout fired
        // (A_connect_given_up_by_the_handler_after_its_turn_in_the_budget_gets_504_not_502).
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout }));
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Contains("connection_budget_exhausted", r.Second, StringComparison.Ordinal));
        Assert.InRange(responses.Count(r => r.StatusCode == HttpStatusCode.OK), 4, 46);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "ConnectionBudgetExhausted");
    }

    // The interleaving behind a 502 once seen among the 50 above: a request's connection attempt waits for the budget,
    // gets its turn as another request's connection closes, and the connection handler's ConnectTimeout (Timeout too, on
    // real time from the attempt's start) gives the attempt up before the request's own Timeout fires. Here the request's
    // clock never moves and the connect after the turn hangs, so the handler's clock always comes first.
    [Fact]
    public async Task A_connect_given_up_by_the_handler_after_its_turn_in_the_budget_gets_504_not_502()
    {
        using var backend = new OneConnectionListener();
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = backend.Port;
                o.MaxConnectionsPerBackend = 1;
                o.Timeout = 3000;
            })
            .ConfigureServices(clock.UseIn)
            .StartAsync();

        var first = env.Caller.GetAsync("/mytest");
        Assert.StartsWith("GET /api/slow ", await backend.AcceptAsync().WaitAsync(s_bound), StringComparison.Ordinal);
        var second = env.Caller.GetAsync("/mytest");
        await clock.WhenArmedAsync(timers: 2).WaitAsync(s_bound); // the second is in the connection handler
        await backend.AnswerAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        using var answered = await first.WaitAsync(s_bound);
        using var cut = await second.WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.GatewayTimeout, cut.StatusCode);
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable");
    }

    // Over HTTP/2 a request left waiting for the budget is served on a stream another request freed, while its own
    // connection attempt goes on waiting, the budget held by the one connection. Its function then runs out of Timeout:
    // that is a slow function (504, counted against the backend), not a connection never found (503).
    [Fact]
    public async Task Over_HTTP2_a_request_served_after_waiting_for_the_budget_whose_function_is_slow_gets_504()
    {
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var neverAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var function = await ConnectionCountingFunction.StartAsync(
            async context =>
            {
                if (firstArrived.TrySetResult())
                {
                    await releaseFirst.Task;
                    await context.Response.WriteAsync("ok");
                    return;
                }

                secondArrived.TrySetResult();
                await neverAnswered.Task.WaitAsync(context.RequestAborted);
            },
            HttpProtocols.Http2,
            maxStreamsPerConnection: 1);
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.HttpVersion = "2";
                o.MaxConnectionsPerBackend = 1;
                o.Timeout = 10_000;
            })
            .ConfigureServices(clock.UseIn)
            .StartAsync();
        using var waits = new MetricCollector<double>(env.Services.GetRequiredService<IMeterFactory>(), "AzureFunctionsInvoker", "azurefunctionsinvoker.connection.wait_duration");

        var first = env.Caller.GetAsync("/mytest");
        await firstArrived.Task.WaitAsync(s_bound);
        var second = env.Caller.GetAsync("/mytest");
        await clock.WhenArmedAsync(timers: 2).WaitAsync(s_bound); // the second is being sent, the one stream taken
        releaseFirst.SetResult();
        using var answered = await first.WaitAsync(s_bound);
        await secondArrived.Task.WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(1, function.ConnectionsMade);
        clock.Advance(TimeSpan.FromMilliseconds(10_000));
        using var slow = await second.WaitAsync(s_bound);
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "ConnectionBudgetExhausted");

        // The connection closed, the budget comes free, and the attempt that waited for it ends: a wait that got a
        // connection, never one recorded as exhausted.
        await function.StopAsync();
        await Eventually.HoldsAsync(() => waits.GetMeasurementSnapshot().Count > 0, s_bound, "the attempt's wait ended");
        Assert.All(waits.GetMeasurementSnapshot(), m => Assert.False(m.Tags.ContainsKey("error.type")));
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
