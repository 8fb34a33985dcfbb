using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// The named functions of the app, each with one <see cref="NamedProxy.Source"/> shared by every mount and
/// health check that names it, so a reload is validated and logged once. Names are case-insensitive, as
/// configuration keys are: <c>Get("Orders")</c> finds the function registered as <c>orders</c>.
/// </summary>
internal sealed class FunctionRegistry : IDisposable
{
    private readonly Dictionary<string, RegisteredFunction> _functions;
    private readonly IOptionsMonitor<AzureFunctionProxyOptions> _monitor;
    private readonly LiveConnectionSettings _connections;
    private readonly ILogger _logger;
    private readonly CircuitRegistry _circuits;
    private readonly Dictionary<string, NamedProxy.Source> _sources = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public FunctionRegistry(IEnumerable<RegisteredFunction> functions, IOptionsMonitor<AzureFunctionProxyOptions> monitor, LiveConnectionSettings connections, CircuitRegistry circuits, ILogger<FunctionRegistry> logger)
    {
        _circuits = circuits;
        _functions = functions.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        _monitor = monitor;
        _connections = connections;
        _logger = logger;
    }

    /// <summary>The source of the function registered as <paramref name="name"/> in any case, validated on first use.</summary>
    /// <exception cref="InvalidOperationException">No function has that name.</exception>
    /// <exception cref="OptionsValidationException">Its options are invalid.</exception>
    public NamedProxy.Source Get(string name)
    {
        if (!_functions.TryGetValue(name, out var registered))
        {
            throw new InvalidOperationException(
                $"No Azure Function named '{name}' is registered. Call 'services.AddAzureFunctionProxy(\"{name}\", ...)' " +
                "when configuring services.");
        }

        lock (_gate)
        {
            if (!_sources.TryGetValue(name, out var source))
            {
                // The options and the client are registered under the registered spelling.
                source = NamedProxy.Source.Watch(registered.Origin, FunctionForwarder.ClientNameFor(registered.Name), _monitor, _connections, _logger, _circuits);
                _sources.Add(registered.Name, source);
            }

            return source;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var source in _sources.Values)
            {
                source.Dispose();
            }
        }
    }
}
