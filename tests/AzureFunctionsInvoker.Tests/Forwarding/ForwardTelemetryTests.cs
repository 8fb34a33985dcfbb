using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// What one forward reports, read as an OpenTelemetry exporter would. Alone: the activity source is process-wide, and
/// whether anyone listens to it is part of what is tested.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ForwardTelemetryTests : IDisposable
{
    private const string FunctionName = "forward-telemetry";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ProxyMetrics _metrics;
    private readonly Backend _target = NamedProxy.Create(OptionsOrigin.Mounted(FunctionName, "/test"), new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = FunctionName }, NullLogger.Instance).Backend;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public ForwardTelemetryTests()
    {
        _metrics = new ProxyMetrics(_services.GetRequiredService<IMeterFactory>());
    }

    public static TheoryData<string> Failures => new(Enum.GetNames<ForwarderError>().Where(e => e != nameof(ForwarderError.None)));

    [Fact]
    public void A_forward_the_function_answered_is_measured_and_traced_with_the_http_client_tags_and_no_error()
    {
        var (tags, span) = Forward("POST", 201, ForwarderError.None);

        var expected = new Dictionary<string, object?>
        {
            ["http.request.method"] = "POST",
            ["server.address"] = "myapp.azurewebsites.net",
            ["server.port"] = 443,
            ["url.scheme"] = "https",
            ["faas.invoked_name"] = FunctionName,
            ["http.response.status_code"] = 201,
        };
        Assert.Equal(Sorted(expected), Sorted(tags));
        Assert.Equal(Sorted(expected), Sorted(span.TagObjects));
        Assert.Equal("AzureFunctionsInvoker.Forward", span.OperationName);
        Assert.Equal($"POST {FunctionName}", span.DisplayName);
        Assert.Equal(ActivityKind.Internal, span.Kind);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Theory]
    [InlineData(200, null)]
    [InlineData(304, null)]
    [InlineData(399, null)]
    [InlineData(400, "400")]
    [InlineData(404, "404")]
    [InlineData(503, "503")]
    public void An_error_status_from_the_function_is_the_error_type(int statusCode, string? expectedErrorType)
    {
        var (tags, span) = Forward("GET", statusCode, ForwarderError.None);

        Assert.Equal(statusCode, tags["http.response.status_code"]);
        Assert.Equal(statusCode, span.GetTagItem("http.response.status_code"));
        AssertErrorType(expectedErrorType, tags, span);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_is_the_error_type_its_row_names_and_fails_the_span(string name)
    {
        var error = Enum.Parse<ForwarderError>(name);

        var (tags, span) = Forward("GET", 0, error);

        AssertErrorType(ForwarderErrors.Describe(error).ErrorType, tags, span);
        Assert.False(tags.ContainsKey("http.response.status_code"));
        Assert.Null(span.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public void A_failure_after_the_function_answered_keeps_the_status_it_answered()
    {
        var (tags, span) = Forward("GET", 200, ForwarderError.ResponseBodyFailed);

        Assert.Equal(200, tags["http.response.status_code"]);
        AssertErrorType("response_body", tags, span);
    }

    [Fact]
    public void A_forward_an_exception_ended_is_the_other_error_type()
    {
        var (tags, span) = Forward("GET", 0, error: null);

        AssertErrorType("_OTHER", tags, span);
    }

    [Theory]
    [InlineData("PURGE")]
    [InlineData("get")]
    [InlineData("")]
    public void An_unknown_method_is_tagged_other_and_only_the_span_keeps_it(string method)
    {
        var (tags, span) = Forward(method, 200, ForwarderError.None);

        Assert.Equal("_OTHER", tags["http.request.method"]);
        Assert.False(tags.ContainsKey("http.request.method_original"));
        Assert.Equal("_OTHER", span.GetTagItem("http.request.method"));
        Assert.Equal(method, span.GetTagItem("http.request.method_original"));
        Assert.Equal($"HTTP {FunctionName}", span.DisplayName);
    }

    [Fact]
    public void A_known_method_has_no_original_method_tag()
    {
        var (_, span) = Forward("DELETE", 200, ForwarderError.None);

        Assert.Null(span.GetTagItem("http.request.method_original"));
    }

    [Fact]
    public void A_forward_is_in_flight_from_start_to_stop_under_one_set_of_tags()
    {
        using var active = new MetricCollector<long>(_metrics.ActiveRequests);

        var telemetry = ForwardTelemetry.Start(_metrics, "GET", _target)!;
        var inFlight = active.GetMeasurementSnapshot().Sum(m => m.Value);
        telemetry.ResponseReceived(503);
        telemetry.Stop(ForwarderError.None);

        // An up-down counter's -1 cancels its +1 only under the same tags: no status or error on either.
        Assert.Equal(1, inFlight);
        var measurements = active.GetMeasurementSnapshot();
        Assert.Equal([1, -1], measurements.Select(m => m.Value));
        Assert.Equal(Sorted(measurements[0].Tags), Sorted(measurements[1].Tags));
        Assert.False(measurements[1].Tags.ContainsKey("http.response.status_code"));
        Assert.False(measurements[1].Tags.ContainsKey("error.type"));
    }

    [Fact]
    public void The_span_is_current_while_the_forward_runs_and_a_child_of_the_callers()
    {
        using var spans = Spans();
        using var caller = new Activity("caller").Start();

        var telemetry = ForwardTelemetry.Start(_metrics, "GET", _target)!;
        var during = Activity.Current;
        telemetry.Stop(ForwarderError.None);

        var span = Assert.Single(_spans);
        Assert.Same(span, during);
        Assert.Equal(caller.TraceId, span.TraceId);
        Assert.Equal(caller.SpanId, span.ParentSpanId);
        Assert.Same(caller, Activity.Current);
    }

    [Fact]
    public void Nobody_listening_gets_no_telemetry_and_nothing_is_allocated()
    {
        Assert.False(_metrics.Enabled);
        Assert.Null(ForwardTelemetry.Start(_metrics, "GET", _target)); // Also the first call, which may initialize.

        var before = GC.GetAllocatedBytesForCurrentThread();
        var telemetry = ForwardTelemetry.Start(_metrics, "GET", _target);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(telemetry);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Metrics_alone_measure_the_forward_without_a_span()
    {
        using var durations = new MetricCollector<double>(_metrics.Duration);
        var outside = Activity.Current;

        var telemetry = ForwardTelemetry.Start(_metrics, "GET", _target);
        var during = Activity.Current;
        telemetry!.Stop(ForwarderError.None);

        Assert.Same(outside, during);
        Assert.Single(durations.GetMeasurementSnapshot());
    }

    [Fact]
    public void A_trace_alone_gets_a_span_while_the_metrics_stay_off()
    {
        using var spans = Spans();

        var telemetry = ForwardTelemetry.Start(_metrics, "GET", _target);
        telemetry!.Stop(ForwarderError.None);

        Assert.False(_metrics.Enabled);
        Assert.Equal($"GET {FunctionName}", Assert.Single(_spans).DisplayName);
    }

    public void Dispose() => _services.Dispose();

    private static void AssertErrorType(string? expected, IReadOnlyDictionary<string, object?> tags, Activity span)
    {
        Assert.Equal(expected, tags.GetValueOrDefault("error.type"));
        Assert.Equal(expected, span.GetTagItem("error.type"));
        Assert.Equal(expected is null ? ActivityStatusCode.Unset : ActivityStatusCode.Error, span.Status);
        Assert.Equal(expected, span.StatusDescription);
    }

    /// <summary>One forward with both metrics and traces listened to: the tags of its duration, and its span.</summary>
    private (IReadOnlyDictionary<string, object?> Tags, Activity Span) Forward(string method, int statusCode, ForwarderError? error)
    {
        using var durations = new MetricCollector<double>(_metrics.Duration);
        using var spans = Spans();

        var telemetry = ForwardTelemetry.Start(_metrics, method, _target);
        Assert.NotNull(telemetry);
        if (statusCode != 0)
        {
            telemetry.ResponseReceived(statusCode);
        }

        telemetry.Stop(error);

        var duration = Assert.Single(durations.GetMeasurementSnapshot());
        Assert.True(duration.Value >= 0);
        return (duration.Tags, Assert.Single(_spans));
    }

    private ActivityListener Spans()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProxyMetrics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("faas.invoked_name") is FunctionName)
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static IEnumerable<KeyValuePair<string, object?>> Sorted(IEnumerable<KeyValuePair<string, object?>> tags) =>
        tags.OrderBy(tag => tag.Key, StringComparer.Ordinal);
}
