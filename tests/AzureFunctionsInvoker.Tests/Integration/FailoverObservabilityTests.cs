using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>What a function with backends reports: attempts and circuit changes on the meter, a span per attempt, its health.</summary>
public sealed class FailoverObservabilityTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Attempts_per_request_and_circuit_changes_are_tagged_with_the_backends_address()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["FailureThreshold"] = "1",
                ["BreakDuration"] = "1000",
            })
            .StartAsync();
        using var attempts = Collector<int>(env, "azurefunctionsinvoker.request.attempts");
        using var changes = Collector<long>(env, "azurefunctionsinvoker.circuit.state_changes");
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using (await env.GetAsync())
        {
        }

        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromSeconds(1));
        using (await env.GetAsync())
        {
        }

        await attempts.WaitForMeasurementsAsync(2, s_bound);
        var recorded = attempts.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["server.port"])).ToList();
        Assert.Equal([(2, (object?)env.Regions[1].Port), (1, env.Regions[0].Port)], recorded);
        var states = changes.GetMeasurementSnapshot().Select(m => (m.Tags["azurefunctionsinvoker.circuit.state"], m.Tags["server.address"], m.Tags["server.port"])).ToList();
        Assert.Equal([("open", (object?)"127.0.0.1", (object?)env.Regions[0].Port), ("closed", "127.0.0.1", env.Regions[0].Port)], states);
    }

    [Fact]
    public async Task Each_attempt_is_its_own_HttpClient_span_under_the_proxys_span()
    {
        var stopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientSpans = new ConcurrentQueue<Activity>();
        var trace = ActivityTraceId.CreateRandom();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "AzureFunctionsInvoker" or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.Source.Name == "System.Net.Http" && activity.TraceId == trace)
                {
                    clientSpans.Enqueue(activity);
                }
            },
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "AzureFunctionsInvoker" && activity.TraceId == trace)
                {
                    stopped.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hello");
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await env.Caller.SendAsync(request);
        var forward = await stopped.Task.WaitAsync(s_bound);

        Assert.Equal("B", StandInRegion.AnsweredBy(response));
        Assert.Equal(2, clientSpans.Count);
        Assert.All(clientSpans, span => Assert.Equal(forward.SpanId, span.ParentSpanId));
        Assert.Equal([env.Regions[0].Port, env.Regions[1].Port], clientSpans.Select(span => span.GetTagItem("server.port")));
        Assert.Equal(env.Regions[1].Port, forward.GetTagItem("server.port"));
        Assert.Equal(200, forward.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task The_health_check_is_healthy_degraded_or_unhealthy_by_the_priorities_available_naming_each()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2", ["FailureThreshold"] = "1" })
            .ConfigureServices(builder => builder.Services.AddHealthChecks().AddAzureFunctionProxyCheck("Hello"))
            .StartAsync();
        var health = env.App.Services.GetRequiredService<HealthCheckService>();
        var (a, b) = (env.Regions[0], env.Regions[1]);

        var healthy = await health.CheckHealthAsync();
        a.AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using (await env.GetAsync())
        {
        }

        var degraded = await health.CheckHealthAsync();
        await b.StopAsync();
        var unhealthy = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal($"127.0.0.1:{a.Port} (priority 1) is available; 127.0.0.1:{b.Port} (priority 2) is available.", healthy.Entries["azure-function-Hello"].Description);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains($"127.0.0.1:{a.Port} (priority 1) is not: its circuit is open", degraded.Entries["azure-function-Hello"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.StartsWith("No backend is available", unhealthy.Entries["azure-function-Hello"].Description, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{b.Port} (priority 2) is not:", unhealthy.Entries["azure-function-Hello"].Description, StringComparison.Ordinal);
    }

    private static MetricCollector<T> Collector<T>(ProxyTestHost env, string instrument) where T : struct =>
        new(env.App.Services.GetRequiredService<IMeterFactory>(), "AzureFunctionsInvoker", instrument);
}
