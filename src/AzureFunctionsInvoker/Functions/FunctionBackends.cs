using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// Where one function's requests go, computed once per set of options: its one host, or, with two or more
/// <c>Backends</c>, each backend by priority behind the circuit it shares with the mount's other functions. The same for
/// a mount of one function, for each function of an app mount, and for the app mount itself (whose function segment is
/// <c>{function}</c>, for logs and the health check).
/// </summary>
internal sealed class FunctionBackends
{
    /// <param name="name">The mount's name, as logs and telemetry name the function.</param>
    /// <param name="options">The function's options; for a function of an app mount, the app's with the function's name and keys.</param>
    /// <param name="functionSegment">The function's segment of the route: its name, or <c>{function}</c> for an app mount itself.</param>
    /// <param name="connection">The connection settings of the mount's options.</param>
    /// <param name="circuits">The circuit of each of <c>Backends</c>, in configuration order, when there are two or more; else <see langword="null"/>.</param>
    /// <param name="mountSuffix">What follows the mount's path in the caller's address of the function: <c>/{function}</c> for a function of an app mount, else empty.</param>
    public FunctionBackends(string name, AzureFunctionProxyOptions options, string functionSegment, ConnectionSettings connection, IReadOnlyList<CircuitBreaker>? circuits, string mountSuffix = "")
    {
        var backends = options.Backends;
        if (circuits is null)
        {
            // One backend is the function's host with that entry's keys: with nowhere to fail over to, no circuit.
            var own = backends.Count == 0 ? options : options.ForBackend(backends[0]);
            Route = new FunctionRoute(own, functionSegment);
            First = new Backend(name, own, connection, Route.FunctionUri, mountSuffix);
            Pool = BackendPool.Of(First);
            Address = Route.Address;
            return;
        }

        var members = new Backend[backends.Count];
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = options.ForBackend(backends[i]);
            members[i] = new Backend(name, backend, connection, new FunctionRoute(backend, functionSegment).FunctionUri, mountSuffix);
        }

        Pool = new BackendPool(members, circuits, [.. backends.Select(b => b.Priority)], [.. backends.Select(b => b.Weight)]);
        First = Pool.Backends[0];
        Route = new FunctionRoute(First.Options, functionSegment);
        Address = string.Join(" or ", Pool.Backends.Select(backend => backend.FunctionUri.OriginalString));
    }

    /// <summary>The function's route; with two or more backends, the first by priority's.</summary>
    public FunctionRoute Route { get; }

    /// <summary>What an exchange with the function needs of it; with two or more backends, the first by priority's.</summary>
    public Backend First { get; }

    /// <summary>The function's backends: its one host, or two or more, each with its circuit.</summary>
    public BackendPool Pool { get; }

    /// <summary>Where requests go, as logs show it: the function's address, or its backends' by priority (<c>https://a/api/hello or https://b/api/hello</c>).</summary>
    public string Address { get; }

    /// <summary>
    /// The circuit of each of the <c>Backends</c> of <paramref name="options"/> when it has two or more (one per backend
    /// host and port of the mount <paramref name="name"/>, shared by every function of an app mount); else <see langword="null"/>.
    /// </summary>
    public static CircuitBreaker[]? Circuits(string name, AzureFunctionProxyOptions options, CircuitRegistry circuits)
    {
        if (options.Backends.Count < 2)
        {
            return null;
        }

        return [.. options.Backends.Select(entry =>
        {
            var backend = options.ForBackend(entry);
            return new CircuitBreaker(circuits.Get(name, new FunctionRoute(backend, string.Empty).FunctionUri), backend, circuits.Time);
        })];
    }
}
