using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker.Connections;
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

    private readonly FrozenDictionary<string, AppFunction>.AlternateLookup<ReadOnlySpan<char>> _functions;

    private FunctionTarget(string name, AzureFunctionProxyOptions options, bool appMount, CircuitRegistry? circuits)
    {
        Options = options;
        IsAppMount = appMount;
        Connection = ConnectionSettings.From(options);
        if (appMount)
        {
            // Validation refuses Backends on an app mount: its functions share the one host.
            Route = new FunctionRoute(options, AppMountSegment);
            Forwarding = new ForwardingTarget(name, options, Connection, Route.FunctionUri);
            Address = Route.Address;
            var connection = Connection;
            _functions = options.Functions
                .ToFrozenDictionary(f => f.Key, f => new AppFunction(name, f.Key, options, f.Value, connection), StringComparer.OrdinalIgnoreCase)
                .GetAlternateLookup<ReadOnlySpan<char>>();
            return;
        }

        var backends = options.Backends;
        if (backends.Count < 2)
        {
            // One backend is the function's host with that entry's keys: with nowhere to fail over to, no circuit.
            var own = backends.Count == 0 ? options : options.ForBackend(backends[0]);
            Route = new FunctionRoute(own);
            Forwarding = new ForwardingTarget(name, own, Connection, Route.FunctionUri);
            Address = Route.Address;
            return;
        }

        var targets = new ForwardingTarget[backends.Count];
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = options.ForBackend(backends[i]);
            var uri = new FunctionRoute(backend).FunctionUri;
            var circuit = new CircuitBreaker(circuits!.Get(name, uri), backend, circuits.Time);
            targets[i] = new ForwardingTarget(name, backend, Connection, uri, circuit);
        }

        Backends = new BackendPool(targets, [.. backends.Select(b => b.Priority)], [.. backends.Select(b => b.Weight)]);
        Forwarding = Backends.Backends[0];
        Route = new FunctionRoute(Forwarding.Options);
        Address = string.Join(" or ", Backends.Backends.Select(backend => backend.FunctionUri.OriginalString));
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
    /// The function's route; for an app mount, the app's, whose function segment is <c>{function}</c>; with
    /// <see cref="Backends"/>, the first by priority's.
    /// </summary>
    public FunctionRoute Route { get; }

    public ConnectionSettings Connection { get; }

    /// <summary>Where requests go, as logs show it: the function's address, or its backends' by priority (<c>https://a/api/hello or https://b/api/hello</c>).</summary>
    public string Address { get; }

    /// <summary>
    /// What an exchange with the function needs of it. For an app mount, only its host is meant: see
    /// <see cref="TryGetFunction"/>; with <see cref="Backends"/>, the first by priority.
    /// </summary>
    public ForwardingTarget Forwarding { get; }

    /// <summary>The function's backends when it has two or more, each with its circuit; <see langword="null"/> otherwise.</summary>
    public BackendPool? Backends { get; }

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
        var backends = target.Backends?.Backends ?? [target.Forwarding];
        foreach (var backend in backends)
        {
            Warn(origin, backend.Options, target.IsAppMount ? target.Route.FunctionUri : backend.FunctionUri, logger);
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
}
