using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One valid set of options for a function, with what the proxy computes from them once: where the function
/// lives and how to connect to it, and for an app mount each function it exposes. Immutable: a request uses the
/// target it started with to the end, even when the options reload meanwhile.
/// </summary>
internal sealed class FunctionTarget
{
    /// <summary>The function segment of an app mount's own route, as logs show its address.</summary>
    private const string AppMountSegment = "{function}";

    private readonly FrozenDictionary<string, AppFunction>.AlternateLookup<ReadOnlySpan<char>> _functions;

    private FunctionTarget(string name, AzureFunctionProxyOptions options, bool appMount)
    {
        Options = options;
        IsAppMount = appMount;
        Route = appMount ? new FunctionRoute(options, AppMountSegment) : new FunctionRoute(options);
        Connection = ConnectionSettings.From(options);
        Forwarding = new ForwardingTarget(name, options, Connection, Route.FunctionUri);
        if (appMount)
        {
            var connection = Connection;
            _functions = options.Functions
                .ToFrozenDictionary(f => f.Key, f => new AppFunction(name, f.Key, options, f.Value, connection), StringComparer.OrdinalIgnoreCase)
                .GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    /// <summary>The function's name in the app: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name => Forwarding.Name;

    /// <summary>A private copy of the options, so later changes to the caller's instance are not observed.</summary>
    public AzureFunctionProxyOptions Options { get; }

    /// <summary>
    /// Whether the options are an app mount's, exposing the functions <c>Functions</c> lists (maybe none, once a reload
    /// removed them all), rather than the one function <c>FunctionName</c> names.
    /// </summary>
    public bool IsAppMount { get; }

    /// <summary>The function's route; for an app mount, the app's, whose function segment is <c>{function}</c>.</summary>
    public FunctionRoute Route { get; }

    public ConnectionSettings Connection { get; }

    /// <summary>What an exchange with the function needs of it. For an app mount, only its host is meant: see <see cref="TryGetFunction"/>.</summary>
    public ForwardingTarget Forwarding { get; }

    /// <summary>
    /// Makes the target of options that passed validation, warning about the risky or likely mistaken settings they
    /// hold, naming the function as <paramref name="origin"/> does. <paramref name="appMount"/> is what the function is
    /// mounted as; <see langword="null"/> before it is, when the options decide.
    /// </summary>
    public static FunctionTarget Create(OptionsOrigin origin, AzureFunctionProxyOptions validOptions, ILogger logger, bool? appMount = null)
    {
        var options = validOptions.Clone();
        var target = new FunctionTarget(origin.Name, options, appMount ?? options.Functions.Count > 0);
        if (options.Https && !options.HttpsVerify)
        {
            Log.HttpsVerifyDisabled(logger, origin.Name, target.Route.ToString());
        }

        if (!options.Https && SendsKey(options) && !target.Route.FunctionUri.IsLoopback)
        {
            Log.KeyOverHttp(logger, origin.Name, target.Route.ToString());
        }

        if (HostNames.MayBeWholeHost(options))
        {
            Log.HostDomainAppended(logger, origin.Name, target.Route.FunctionUri.Host, options.AppName, origin.PathOf(nameof(options.HostDomain)));
        }

        return target;
    }

    /// <summary>
    /// The function of an app mount called <paramref name="name"/> (as the caller spelled it, in any case), if the
    /// mount exposes it. Never one for a mount of one function.
    /// </summary>
    public bool TryGetFunction(ReadOnlySpan<char> name, [NotNullWhen(true)] out AppFunction? function)
    {
        if (!IsAppMount)
        {
            function = null;
            return false;
        }

        return _functions.TryGetValue(name, out function);
    }

    private static bool SendsKey(AzureFunctionProxyOptions options) =>
        !string.IsNullOrEmpty(options.ApiKey) || options.Functions.Values.Any(f => !string.IsNullOrEmpty(f?.ApiKey));
}
