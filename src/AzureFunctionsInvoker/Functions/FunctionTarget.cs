using AzureFunctionsInvoker.Diagnostics;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One valid set of options for a function, with what the proxy computes from them once: where the function
/// lives and how to connect to it, for an app mount each function it exposes, and for a function with backends each
/// of them. Immutable: a request uses the target it started with to the end, even when the options reload meanwhile.
/// </summary>
internal sealed class FunctionTarget
{
    /// <summary>The function segment of an app mount's own route, as logs show its address.</summary>
    private const string AppMountSegment = "{function}";

    private readonly FunctionBackends _destinations;
    private readonly FrozenDictionary<string, AppFunction>.AlternateLookup<ReadOnlySpan<char>> _functions;

    private FunctionTarget(string name, AzureFunctionProxyOptions options, bool appMount, CircuitRegistry? circuits)
    {
        Options = options;
        IsAppMount = appMount;
        Connection = ConnectionSettings.From(options);

        // With two or more backends, one circuit per backend, which every function of an app mount shares: an outage is the host's.
        var backendCircuits = circuits is null ? null : FunctionBackends.Circuits(name, options, circuits);
        _destinations = new FunctionBackends(name, options, appMount ? AppMountSegment : options.FunctionName!, Connection, backendCircuits);
        if (appMount)
        {
            var connection = Connection;
            _functions = options.Functions
                .ToFrozenDictionary(f => f.Key, f => new AppFunction(name, f.Key, options, f.Value, connection, backendCircuits), StringComparer.OrdinalIgnoreCase)
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

    /// <summary>
    /// The function's route; for an app mount, the app's, whose function segment is <c>{function}</c>; with two or
    /// more backends, the first by priority's.
    /// </summary>
    public FunctionRoute Route => _destinations.Route;

    public ConnectionSettings Connection { get; }

    /// <summary>Where requests go, as logs show it: the function's address, or its backends' by priority (<c>https://a/api/hello or https://b/api/hello</c>).</summary>
    public string Address => _destinations.Address;

    /// <summary>
    /// What an exchange with the function needs of it. For an app mount, only its host is meant: see
    /// <see cref="TryGetFunction"/>; with two or more backends, the first by priority.
    /// </summary>
    public Backend Forwarding => _destinations.Forwarding;

    /// <summary>
    /// The function's backends: its one host, or two or more, each with its circuit. For an app mount, its hosts (route
    /// segment <c>{function}</c>), for logs and the health check: each function has its own, sharing these circuits
    /// (see <see cref="TryGetFunction"/>).
    /// </summary>
    public BackendPool Pool => _destinations.Pool;

    /// <summary>
    /// Makes the target of options that passed validation, warning about the risky or likely mistaken settings they
    /// hold, naming the function as <paramref name="origin"/> does. <paramref name="appMount"/> is what the function is
    /// mounted as; <see langword="null"/> before it is, when the options decide. The circuits of its backends, when it
    /// has two or more, come from <paramref name="circuits"/>, or from a registry of their own (on the system clock)
    /// without one.
    /// </summary>
    public static FunctionTarget Create(OptionsOrigin origin, AzureFunctionProxyOptions validOptions, ILogger logger, bool? appMount = null, CircuitRegistry? circuits = null)
    {
        var options = validOptions.Clone();
        circuits ??= options.Backends.Count < 2 ? null : new CircuitRegistry(TimeProvider.System, metrics: null, logger);
        var target = new FunctionTarget(origin.Name, options, appMount ?? options.Functions.Count > 0, circuits);
        foreach (var backend in target.Pool.Backends)
        {
            Warn(origin, backend.Options, backend.FunctionUri, logger);
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

    private static void Warn(OptionsOrigin origin, AzureFunctionProxyOptions options, Uri functionUri, ILogger logger)
    {
        var authority = functionUri.GetLeftPart(UriPartial.Authority);
        if (options.Https && !options.HttpsVerify)
        {
            Log.HttpsVerifyDisabled(logger, origin.Name, authority);
        }

        if (!options.Https && SendsKey(options) && !functionUri.IsLoopback)
        {
            Log.KeyOverHttp(logger, origin.Name, authority);
        }

        if (HostNames.MayBeWholeHost(options))
        {
            Log.HostDomainAppended(logger, origin.Name, functionUri.Host, options.AppName, origin.PathOf(nameof(options.HostDomain)));
        }
    }

    private static bool SendsKey(AzureFunctionProxyOptions options) =>
        !string.IsNullOrEmpty(options.ApiKey) || options.Functions.Values.Any(f => !string.IsNullOrEmpty(f?.ApiKey));

    /// <summary>
    /// One function an app mount exposes, an entry of <c>Functions</c>: its route under the app's <c>RoutePrefix</c> and
    /// what an exchange with it needs (the app's options with the function's name, and its own key and client id when it
    /// has them). Made once per set of the app's options; the host (or the backends, with their circuits), its connection
    /// settings and every other option are the app's.
    /// </summary>
    public sealed class AppFunction
    {
        private readonly FunctionBackends _destinations;

        /// <param name="mountName">The app mount's name.</param>
        /// <param name="functionName">The function's name, as <c>Functions</c> spells it.</param>
        /// <param name="app">The app mount's options.</param>
        /// <param name="own">The function's entry of <c>Functions</c>.</param>
        /// <param name="connection">The app mount's connection settings.</param>
        /// <param name="circuits">The circuits of the app's backends, shared by all its functions; see <see cref="FunctionBackends.Circuits"/>.</param>
        public AppFunction(string mountName, string functionName, AzureFunctionProxyOptions app, AzureFunctionProxyFunctionOptions? own, ConnectionSettings connection, IReadOnlyList<CircuitBreaker>? circuits)
        {
            _destinations = new FunctionBackends(mountName, app.ForFunction(functionName, own), functionName, connection, circuits, mountSuffix: "/" + functionName);
        }

        public FunctionRoute Route => _destinations.Route;

        /// <summary>What an exchange with the function needs of it (with two or more backends, the first's); its options' <c>FunctionName</c> is the function's.</summary>
        public Backend Forwarding => _destinations.Forwarding;

        /// <summary>The function at each of the app's backends (one, or two or more behind their circuits).</summary>
        public BackendPool Pool => _destinations.Pool;
    }
}
