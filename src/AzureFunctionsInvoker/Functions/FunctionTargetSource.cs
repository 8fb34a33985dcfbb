using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// Where a mount finds its function's current <see cref="FunctionTarget"/>: fixed for options given in code, or
/// following configuration for a named function, so a rotated key or a new timeout applies to the next request
/// without a restart. A reload that fails validation is logged, naming the options, and the last valid target
/// stays in use.
/// </summary>
internal sealed class FunctionTargetSource : IDisposable
{
    private static readonly AzureFunctionProxyOptionsValidator s_validator = new();

    private readonly Lock _gate = new();
    private FunctionTarget? _current;
    private AzureFunctionProxyOptions? _rejected;
    private IDisposable? _reloads;

    private FunctionTargetSource(FunctionTarget? current) => _current = current;

    /// <summary>The target for a request starting now.</summary>
    public FunctionTarget Current => Volatile.Read(ref _current)!;

    /// <summary>A source that always gives the target of <paramref name="options"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public static FunctionTargetSource Fixed(AzureFunctionProxyOptions options, ILogger logger) =>
        new(FunctionTarget.Create(Validate(Options.DefaultName, options), logger));

    /// <summary>A source that follows the named options of <paramref name="monitor"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid now, at startup.</exception>
    public static FunctionTargetSource Watch(string name, IOptionsMonitor<AzureFunctionProxyOptions> monitor, ILogger logger)
    {
        // Listening first, then reading: a reload between the two is not lost.
        var source = new FunctionTargetSource(null);
        source._reloads = monitor.OnChange((options, changed) =>
        {
            if (changed == name)
            {
                source.Reload(name, options, logger);
            }
        });

        try
        {
            lock (source._gate)
            {
                source._current ??= FunctionTarget.Create(Validate(name, monitor.Get(name)), logger);
            }

            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public void Dispose() => _reloads?.Dispose();

    private void Reload(string name, AzureFunctionProxyOptions options, ILogger logger)
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

            var result = s_validator.Validate(name, options);
            if (result.Failed)
            {
                _rejected = options.Clone();
                Log.ReloadRejected(logger, name, result.FailureMessage);
                return;
            }

            _rejected = null;
            Volatile.Write(ref _current, FunctionTarget.Create(options, logger));
            Log.Reloaded(logger, name);
        }
    }

    private static AzureFunctionProxyOptions Validate(string name, AzureFunctionProxyOptions options)
    {
        var result = s_validator.Validate(name, options);
        return result.Failed ? throw new OptionsValidationException(name, typeof(AzureFunctionProxyOptions), result.Failures) : options;
    }
}
