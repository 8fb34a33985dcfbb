using System.Collections.Concurrent;
using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// The circuits of every function's backends, by function, scheme, host and port, for the life of the app: the
/// named proxies a reload makes pick up the circuits of the backends they keep.
/// </summary>
internal sealed class CircuitRegistry
{
    private readonly ConcurrentDictionary<(string Function, string Scheme, string Host, int Port), CircuitBreaker.CircuitState> _circuits = new();
    private readonly ProxyMetrics? _metrics;
    private readonly ILogger _logger;

    public CircuitRegistry(TimeProvider time, ProxyMetrics? metrics, ILogger logger)
    {
        Time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The clock the circuits' breaks run on.</summary>
    public TimeProvider Time { get; }

    /// <summary>The circuit of the backend of <paramref name="functionName"/> at <paramref name="functionUri"/>.</summary>
    public CircuitBreaker.CircuitState Get(string functionName, Uri functionUri) =>
        _circuits.GetOrAdd(
            (functionName.ToUpperInvariant(), functionUri.Scheme, functionUri.IdnHost, functionUri.Port),
            static (key, state) => new CircuitBreaker.CircuitState(state.FunctionName, key.Host, key.Port, state.Self.Time, state.Self._metrics, state.Self._logger),
            (Self: this, FunctionName: functionName));
}
