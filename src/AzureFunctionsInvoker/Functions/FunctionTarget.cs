using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One valid set of options for a function, with what the proxy computes from them once: where the function
/// lives and how to connect to it. Immutable: a request uses the target it started with to the end, even when
/// the options reload meanwhile.
/// </summary>
internal sealed class FunctionTarget
{
    private FunctionTarget(string name, AzureFunctionProxyOptions options, CircuitRegistry? circuits)
    {
        Options = options;
        Connection = ConnectionSettings.From(options);
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

    /// <summary>Where the function lives; with <see cref="Backends"/>, where the first by priority does.</summary>
    public FunctionRoute Route { get; }

    public ConnectionSettings Connection { get; }

    /// <summary>Where requests go, as logs show it: the function's address, or its backends' by priority (<c>https://a/api/hello or https://b/api/hello</c>).</summary>
    public string Address { get; }

    /// <summary>What an exchange with the function needs of it; with <see cref="Backends"/>, of the first by priority.</summary>
    public ForwardingTarget Forwarding { get; }

    /// <summary>The function's backends when it has two or more, each with its circuit; <see langword="null"/> otherwise.</summary>
    public BackendPool? Backends { get; }

    /// <summary>
    /// Makes the target of options that passed validation, warning about the risky or likely mistaken settings they
    /// hold, naming the function as <paramref name="origin"/> does. The circuits of its backends, when it has two or
    /// more, come from <paramref name="circuits"/>, or from a registry of their own (on the system clock) without one.
    /// </summary>
    public static FunctionTarget Create(OptionsOrigin origin, AzureFunctionProxyOptions validOptions, ILogger logger, CircuitRegistry? circuits = null)
    {
        var options = validOptions.Clone();
        circuits ??= options.Backends.Count < 2 ? null : new CircuitRegistry(TimeProvider.System, metrics: null, logger);
        var target = new FunctionTarget(origin.Name, options, circuits);
        var backends = target.Backends?.Backends ?? [target.Forwarding];
        foreach (var backend in backends)
        {
            Warn(origin, backend.Options, backend.FunctionUri, logger);
        }

        return target;
    }

    private static void Warn(OptionsOrigin origin, AzureFunctionProxyOptions options, Uri functionUri, ILogger logger)
    {
        var authority = functionUri.GetLeftPart(UriPartial.Authority);
        if (options.Https && !options.HttpsVerify)
        {
            Log.HttpsVerifyDisabled(logger, origin.Name, authority);
        }

        if (!options.Https && !string.IsNullOrEmpty(options.ApiKey) && !functionUri.IsLoopback)
        {
            Log.KeyOverHttp(logger, origin.Name, authority);
        }

        if (HostNames.MayBeWholeHost(options))
        {
            Log.HostDomainAppended(logger, origin.Name, functionUri.Host, options.AppName, origin.PathOf(nameof(options.HostDomain)));
        }
    }
}
