using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AzureFunctionsInvoker.Diagnostics;

/// <summary>
/// The <c>AzureFunctionsInvoker</c> meter: how long forwards to functions take and how many are in flight, tagged
/// as OpenTelemetry tags HTTP client metrics, plus the function's name (<c>faas.invoked_name</c>); for functions with
/// backends, how many each request tried and when their circuits open and close; the connections open to each
/// backend, and the waits for a connection of <c>MaxConnectionsPerBackend</c>.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>The meter's name, and the activity source's: what an app passes to <c>AddMeter</c> and <c>AddSource</c>.</summary>
    public const string Name = "AzureFunctionsInvoker";

    /// <summary>The activity source of forwards (<c>ForwardTelemetry</c>'s spans), named as the meter is.</summary>
    public static readonly ActivitySource Source = new(Name);

    // OpenTelemetry's buckets for HTTP durations.
    private static readonly InstrumentAdvice<double> s_durationBuckets = new() { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] };

    public ProxyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        Duration = meter.CreateHistogram<double>(
            "azurefunctionsinvoker.request.duration",
            unit: "s",
            description: "Duration of requests forwarded to Azure Functions, from sending the request to the end of the response body.",
            tags: null,
            advice: s_durationBuckets);
        ActiveRequests = meter.CreateUpDownCounter<long>(
            "azurefunctionsinvoker.active_requests",
            unit: "{request}",
            description: "Requests being forwarded to Azure Functions.");
        Attempts = meter.CreateHistogram<int>(
            "azurefunctionsinvoker.request.attempts",
            unit: "{attempt}",
            description: "Backends tried per request to a function with two or more backends, tagged with the one that answered.",
            tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 5] });
        CircuitChanges = meter.CreateCounter<long>(
            "azurefunctionsinvoker.circuit.state_changes",
            unit: "{change}",
            description: "Circuits of Azure Function backends that opened or closed, tagged with the backend and the new state.");
        OpenConnections = meter.CreateUpDownCounter<long>(
            "azurefunctionsinvoker.open_connections",
            unit: "{connection}",
            description: "Connections open to Azure Function backends, tagged with the backend and the HTTP version they speak.");
        ConnectionWaits = meter.CreateHistogram<double>(
            "azurefunctionsinvoker.connection.wait_duration",
            unit: "s",
            description: "How long connection attempts to an Azure Function backend waited for its MaxConnectionsPerBackend budget, one per attempt that had to wait; error.type says it gave up.",
            tags: null,
            advice: s_durationBuckets);
    }

    public Histogram<double> Duration { get; }

    public UpDownCounter<long> ActiveRequests { get; }

    public Histogram<int> Attempts { get; }

    public Counter<long> CircuitChanges { get; }

    public UpDownCounter<long> OpenConnections { get; }

    public Histogram<double> ConnectionWaits { get; }

    /// <summary>Whether anyone listens: when not, a forward records nothing and pays nothing.</summary>
    public bool Enabled => Duration.Enabled || ActiveRequests.Enabled || Attempts.Enabled;

    /// <summary>Whether anyone listens to the meter or to <see cref="Source"/>: when not, a forward starts no telemetry at all.</summary>
    public bool Listening => Enabled || Source.HasListeners();

    /// <summary>The circuit of the backend at <paramref name="host"/>:<paramref name="port"/> of <paramref name="functionName"/> changed to <paramref name="state"/>.</summary>
    public void RecordCircuitChange(string host, int port, string functionName, string state) =>
        CircuitChanges.Add(1, new TagList
        {
            { "server.address", host },
            { "server.port", port },
            { "faas.invoked_name", functionName },
            { "azurefunctionsinvoker.circuit.state", state },
        });
}
