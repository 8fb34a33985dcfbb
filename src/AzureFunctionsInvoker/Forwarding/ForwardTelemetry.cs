using System.Collections.Frozen;
using System.Diagnostics;
using AzureFunctionsInvoker.Diagnostics;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What one forward reports: an activity in the <c>AzureFunctionsInvoker</c> source (current while the request is
/// sent, so the <c>traceparent</c> the function gets names it), and its duration and in-flight count in
/// <see cref="ProxyMetrics"/>. Made only when someone listens.
/// </summary>
internal sealed class ForwardTelemetry
{
    // OpenTelemetry's known methods; any other would make a tag value per caller's whim.
    private static readonly FrozenSet<string> s_knownMethods = FrozenSet.Create(
        StringComparer.Ordinal, "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE");

    private readonly ProxyMetrics _metrics;
    private readonly Activity? _activity;
    private readonly long _started;
    private TagList _tags;
    private int _statusCode;

    // For a function with backends: the one tried last, and how many were tried.
    private Backend? _backend;
    private int _attempts;

    private ForwardTelemetry(ProxyMetrics metrics, Activity? activity, TagList tags)
    {
        _metrics = metrics;
        _activity = activity;
        _tags = tags;
        _started = Stopwatch.GetTimestamp();
        metrics.ActiveRequests.Add(1, tags);
    }

    /// <summary>Starts reporting a forward of <paramref name="method"/> to <paramref name="function"/>, or returns <see langword="null"/> when nobody listens.</summary>
    public static ForwardTelemetry? Start(ProxyMetrics metrics, string method, Backend function)
    {
        var activity = ProxyMetrics.Source.StartActivity("AzureFunctionsInvoker.Forward", ActivityKind.Internal);
        if (activity is null && !metrics.Enabled)
        {
            return null;
        }

        var knownMethod = s_knownMethods.Contains(method);
        var tags = new TagList
        {
            { "http.request.method", knownMethod ? method : "_OTHER" },
            { "server.address", function.ServerAddress },
            { "server.port", function.ServerPort },
            { "url.scheme", function.Scheme },
            { "faas.invoked_name", function.Options.FunctionName },
        };

        if (activity is not null)
        {
            activity.DisplayName = $"{(knownMethod ? method : "HTTP")} {function.Options.FunctionName}";
            if (!knownMethod)
            {
                activity.SetTag("http.request.method_original", method);
            }

            foreach (var tag in tags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }
        }

        return new ForwardTelemetry(metrics, activity, tags);
    }

    /// <summary>
    /// A request to a function with backends is about to try <paramref name="backend"/>: the activity, the duration and
    /// the attempt count name the backend tried last. Each attempt's own span is the HttpClient's, under this one.
    /// </summary>
    public void Attempting(Backend backend)
    {
        _backend = backend;
        _attempts++;
        _statusCode = 0;
        _activity?.SetTag("server.address", backend.ServerAddress);
        _activity?.SetTag("server.port", backend.ServerPort);
    }

    /// <summary>The function answered with <paramref name="statusCode"/>.</summary>
    public void ResponseReceived(int statusCode) => _statusCode = statusCode;

    /// <summary>Ends the forward; <paramref name="error"/> is <see langword="null"/> when an exception ended it (<c>_OTHER</c>).</summary>
    public void Stop(ForwarderError? error)
    {
        _metrics.ActiveRequests.Add(-1, _tags);
        if (_backend is { } backend)
        {
            // Tagged at the start with the backend tried first.
            _tags[1] = new("server.address", backend.ServerAddress);
            _tags[2] = new("server.port", backend.ServerPort);
            _metrics.Attempts.Record(_attempts, _tags);
        }

        var statusCode = _statusCode;
        var errorType = ErrorType(error, statusCode);
        if (statusCode != 0)
        {
            _tags.Add("http.response.status_code", statusCode);
        }

        if (errorType is not null)
        {
            _tags.Add("error.type", errorType);
        }

        _metrics.Duration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, _tags);

        if (_activity is not null)
        {
            if (statusCode != 0)
            {
                _activity.SetTag("http.response.status_code", statusCode);
            }

            if (errorType is not null)
            {
                _activity.SetTag("error.type", errorType);
                _activity.SetStatus(ActivityStatusCode.Error, errorType);
            }

            _activity.Dispose();
        }
    }

    // As OpenTelemetry's HTTP client conventions have it: a low-cardinality name for what went wrong, or the
    // status code of an answer that is an error.
    private static string? ErrorType(ForwarderError? error, int statusCode) => error switch
    {
        null => "_OTHER",
        ForwarderError.None => statusCode >= 400 ? statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        _ => ForwarderErrors.Describe(error.Value).ErrorType,
    };
}
