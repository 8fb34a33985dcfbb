using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>The <c>AzureFunctionsInvoker</c> meter and activity source, read as an OpenTelemetry exporter would.</summary>
public sealed class TelemetryTests
{
    private const string Duration = "azurefunctionsinvoker.request.duration";
    private const string ActiveRequests = "azurefunctionsinvoker.active_requests";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_forward_records_its_duration_tagged_as_an_http_client_call_to_the_function()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var duration = Collector<double>(env, Duration);

        using var response = await env.Caller.PostAsync(new Uri("/mytest/a", UriKind.Relative), new StringContent("body"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await duration.WaitForMeasurementsAsync(1, s_bound);
        var measurement = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.InRange(measurement.Value, 0, s_bound.TotalSeconds);
        Assert.Equal("POST", measurement.Tags["http.request.method"]);
        Assert.Equal(200, measurement.Tags["http.response.status_code"]);
        Assert.Equal("127.0.0.1", measurement.Tags["server.address"]);
        Assert.Equal(env.Function.Port, measurement.Tags["server.port"]);
        Assert.Equal("http", measurement.Tags["url.scheme"]);
        Assert.Equal("echo", measurement.Tags["faas.invoked_name"]);
        Assert.False(measurement.Tags.ContainsKey("error.type"));
    }

    [Theory]
    [InlineData("status/503", 503, "503")]
    [InlineData("hang", 0, "timeout")]
    public async Task A_failed_forward_names_its_error_type(string function, int expectedStatus, string expectedErrorType)
    {
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder().MountFunction(function).ConfigureServices(clock.UseIn).StartAsync();
        using var duration = Collector<double>(env, Duration);

        using var response = await clock.ExpireOnArrivalAsync(env.Caller.GetAsync(new Uri("/mytest", UriKind.Relative)), env);

        await duration.WaitForMeasurementsAsync(1, s_bound);
        var tags = Assert.Single(duration.GetMeasurementSnapshot()).Tags;
        Assert.Equal(expectedErrorType, tags["error.type"]);
        Assert.Equal(expectedStatus == 0 ? null : expectedStatus, tags.GetValueOrDefault("http.response.status_code"));
    }

    [Fact]
    public async Task The_active_requests_count_a_forward_while_it_waits_on_the_function()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("hang").StartAsync();
        using var active = Collector<long>(env, ActiveRequests);
        using var caller = new CancellationTokenSource();

        var pending = env.Caller.GetAsync(new Uri("/mytest", UriKind.Relative), caller.Token);
        await env.Function.Arrived.Task.WaitAsync(s_bound);
        var whileWaiting = active.GetMeasurementSnapshot().Sum(m => m.Value);
        await caller.CancelAsync();
        await active.WaitForMeasurementsAsync(2, s_bound);

        Assert.Equal(1, whileWaiting);
        Assert.Equal(0, active.GetMeasurementSnapshot().Sum(m => m.Value));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task A_traced_forward_is_a_span_of_the_callers_trace_and_the_parent_of_the_functions_request()
    {
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        var stopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientSpans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "AzureFunctionsInvoker" or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.Source.Name == "System.Net.Http" && activity.TraceId == callerTrace)
                {
                    clientSpans.Enqueue(activity);
                }
            },
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "AzureFunctionsInvoker" && activity.TraceId == callerTrace && !stopped.TrySetResult(activity))
                {
                    throw new InvalidOperationException("More than one forward in the caller's trace.");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("traceparent", $"00-{callerTrace}-{callerSpan}-01");

        using var response = await env.Caller.SendAsync(request);
        var received = (await StandInFunction.Echo.ReadAsync(response)).Headers["traceparent"].Single().Split('-');

        // The span ends after the last byte of the response, which the caller may read first.
        var forward = await stopped.Task.WaitAsync(s_bound);

        // The function's parent is HttpClient's span for the request, a child of the proxy's.
        var clientSpan = Assert.Single(clientSpans);
        Assert.Equal(forward.SpanId, clientSpan.ParentSpanId);
        Assert.Equal(callerTrace.ToHexString(), received[1]);
        Assert.Equal(clientSpan.SpanId.ToHexString(), received[2]);
        Assert.Equal("GET echo", forward.DisplayName);
        Assert.Equal("echo", forward.GetTagItem("faas.invoked_name"));
        Assert.Equal(200, forward.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, forward.Status);
    }

    [Fact]
    public async Task Without_a_listener_of_its_own_the_function_gets_the_callers_trace_under_the_requests_span()
    {
        // No listener is added here. ASP.NET Core still makes the request an Activity (its logging is on), which the
        // caller's traceparent is the parent of; the transport then sends that Activity's context.
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("traceparent", $"00-{callerTrace}-{callerSpan}-01");

        using var response = await env.Caller.SendAsync(request);
        var received = Assert.Single((await StandInFunction.Echo.ReadAsync(response)).Headers["traceparent"]).Split('-');

        Assert.Equal(callerTrace.ToHexString(), received[1]);
        Assert.NotEqual(callerSpan.ToHexString(), received[2]);
    }

    private static MetricCollector<T> Collector<T>(ProxyTestHost env, string instrument) where T : struct =>
        new(env.Services.GetRequiredService<IMeterFactory>(), "AzureFunctionsInvoker", instrument);
}
