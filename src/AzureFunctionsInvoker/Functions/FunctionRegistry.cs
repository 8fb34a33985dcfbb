using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// The named functions of the app, each with one <see cref="FunctionTargetSource"/> shared by every mount and
/// health check that names it, so a reload is validated and logged once.
/// </summary>
internal sealed class FunctionRegistry : IDisposable
{
    private readonly HashSet<string> _names;
    private readonly IOptionsMonitor<AzureFunctionProxyOptions> _monitor;
    private readonly LiveConnectionSettings _connections;
    private readonly ILogger _logger;
    private readonly Dictionary<string, FunctionTargetSource> _sources = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public FunctionRegistry(IEnumerable<RegisteredFunction> functions, IOptionsMonitor<AzureFunctionProxyOptions> monitor, LiveConnectionSettings connections, ILogger<FunctionRegistry> logger)
    {
        _names = functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        _monitor = monitor;
        _connections = connections;
        _logger = logger;
    }

    /// <summary>The source of the function registered as <paramref name="name"/>, validated on first use.</summary>
    /// <exception cref="InvalidOperationException">No function has that name.</exception>
    /// <exception cref="OptionsValidationException">Its options are invalid.</exception>
    public FunctionTargetSource Get(string name)
    {
        if (!_names.Contains(name))
        {
            throw new InvalidOperationException(
                $"No Azure Function named '{name}' is registered. Call 'services.AddAzureFunctionProxy(\"{name}\", ...)' " +
                "when configuring services.");
        }

        lock (_gate)
        {
            if (!_sources.TryGetValue(name, out var source))
            {
                source = FunctionTargetSource.Watch(name, FunctionForwarder.ClientNameFor(name), _monitor, _connections, _logger);
                _sources.Add(name, source);
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
