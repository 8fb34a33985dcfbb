using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// Where a mount finds its function's current <see cref="FunctionTarget"/>: fixed for options given in code, or
/// following configuration for a named function, so a rotated key or a new timeout applies to the next request
/// without a restart. A reload that fails validation is logged, naming the options, and the last valid target
/// stays in use. The current target's connection settings are leased for the client the mount sends through, so
/// the pool of settings a reload replaced is disposed once its requests end. What the function is mounted as (an app
/// mount or one function) is fixed by its first options: a reload that would change it is rejected.
/// </summary>
internal sealed class FunctionTargetSource : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LiveConnectionSettings _connections;
    private readonly CircuitRegistry? _circuits;
    private FunctionTarget? _current;
    private IDisposable? _lease;
    private AzureFunctionProxyOptions? _rejected;
    private IDisposable? _reloads;

    private FunctionTargetSource(OptionsOrigin origin, LiveConnectionSettings connections, string clientName, CircuitRegistry? circuits)
    {
        Origin = origin;
        _connections = connections;
        _circuits = circuits;
        ClientName = clientName;
    }

    /// <summary>Where the function's options come from, as messages name it.</summary>
    public OptionsOrigin Origin { get; }

    /// <summary>The name in <see cref="IHttpClientFactory"/> of the client that sends the function's requests.</summary>
    public string ClientName { get; }

    /// <summary>The target for a request starting now.</summary>
    public FunctionTarget Current => Volatile.Read(ref _current)!;

    /// <summary>A source that always gives the target of <paramref name="options"/>, sent through the client named <paramref name="clientName"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public static FunctionTargetSource Fixed(OptionsOrigin origin, AzureFunctionProxyOptions options, LiveConnectionSettings connections, string clientName, ILogger logger, CircuitRegistry? circuits = null)
    {
        var target = FunctionTarget.Create(origin, Validate(Options.DefaultName, origin, options), logger, circuits: circuits);
        var source = new FunctionTargetSource(origin, connections, clientName, circuits);
        lock (source._gate)
        {
            source.Use(target);
        }

        return source;
    }

    /// <summary>
    /// A source that follows the options of <paramref name="monitor"/> named as <paramref name="origin"/> names the
    /// function, sent through the client named <paramref name="clientName"/>. The circuits of its backends come from
    /// <paramref name="circuits"/>, so a reload keeps those of the backends it keeps.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are invalid now, at startup.</exception>
    public static FunctionTargetSource Watch(OptionsOrigin origin, string clientName, IOptionsMonitor<AzureFunctionProxyOptions> monitor, LiveConnectionSettings connections, ILogger logger, CircuitRegistry? circuits = null)
    {
        var name = origin.Name;

        // Listening first, then reading: a reload between the two is not lost.
        var source = new FunctionTargetSource(origin, connections, clientName, circuits);
        source._reloads = monitor.OnChange((options, changed) =>
        {
            if (changed == name)
            {
                source.Reload(origin, options, logger);
            }
        });

        try
        {
            lock (source._gate)
            {
                if (source._current is null)
                {
                    source.Use(FunctionTarget.Create(origin, Validate(name, origin, monitor.Get(name)), logger, circuits: circuits));
                }
            }

            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks, for a mount at startup, that it serves what the options describe: an app mount's functions when
    /// <paramref name="appMount"/> is <see langword="true"/> (a route pattern with <c>{function}</c>), else one function.
    /// </summary>
    /// <exception cref="InvalidOperationException">It does not; the message names the option and the mount to use.</exception>
    public void EnsureMountedAs(bool appMount)
    {
        if (Current.IsAppMount != appMount)
        {
            throw new InvalidOperationException(AzureFunctionProxyOptionsValidator.MountMismatch(Origin, appMount));
        }
    }

    public void Dispose()
    {
        _reloads?.Dispose();
        lock (_gate)
        {
            _lease?.Dispose();
            _lease = null;
        }
    }

    private void Reload(OptionsOrigin origin, AzureFunctionProxyOptions options, ILogger logger)
    {
        lock (_gate)
        {
            if (_current is null || options.HasSameValues(_current.Options))
            {
                // Not started yet (the first read follows), or back to what is in use.
                _rejected = null;
                return;
            }

            if (_rejected is not null && options.HasSameValues(_rejected))
            {
                return;
            }

            var appMount = _current.IsAppMount;
            var result = AzureFunctionProxyOptionsValidator.Validate(origin, options, appMount);
            if (result.Failed)
            {
                _rejected = options.Clone();
                Log.ReloadRejected(logger, origin.Name, result.FailureMessage);
                return;
            }

            _rejected = null;
            var target = FunctionTarget.Create(origin, options, logger, appMount, _circuits);
            Use(target);
            Log.Reloaded(logger, origin.Name, target.Address);
        }
    }

    // Under _gate. The new settings are leased before the old are released, so settings a reload keeps never look
    // unused, which would dispose their pool.
    private void Use(FunctionTarget target)
    {
        var lease = _connections.Lease(ClientName, target.Connection);
        Volatile.Write(ref _current, target);
        _lease?.Dispose();
        _lease = lease;
    }

    private static AzureFunctionProxyOptions Validate(string optionsName, OptionsOrigin origin, AzureFunctionProxyOptions options)
    {
        var result = AzureFunctionProxyOptionsValidator.Validate(origin, options);
        return result.Failed ? throw new OptionsValidationException(optionsName, typeof(AzureFunctionProxyOptions), result.Failures) : options;
    }
}
