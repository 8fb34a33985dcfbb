using System.Collections.Concurrent;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// Validates a named function's options when they are first read: at the host's start, through
/// <c>ValidateOnStart</c>, so an invalid function stops the app even when nothing mounts it (or earlier, when a mount
/// reads them). Once a function's options have passed, its reloads are skipped here: <see cref="NamedProxy.Source"/>
/// validates each one, logging an invalid one and keeping the last valid options, whereas a failure here would be
/// thrown out of the configuration's reload by <see cref="IOptionsMonitor{TOptions}"/>.
/// </summary>
internal sealed class NamedFunctionStartupValidator(IEnumerable<RegisteredFunction> functions) : IValidateOptions<AzureFunctionProxyOptions>
{
    // Options are named by the registered spelling; another spelling read from the monitor is not this library's.
    private readonly Dictionary<string, OptionsOrigin> _origins = functions.ToDictionary(f => f.Name, f => f.Origin, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);

    public ValidateOptionsResult Validate(string? name, AzureFunctionProxyOptions options)
    {
        if (name is null || !_origins.TryGetValue(name, out var origin) || _passed.ContainsKey(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var result = AzureFunctionProxyOptionsValidator.Validate(origin, options);
        if (result.Succeeded)
        {
            _passed.TryAdd(name, true);
        }

        return result;
    }
}
