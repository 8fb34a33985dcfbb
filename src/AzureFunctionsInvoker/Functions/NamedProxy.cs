using AzureFunctionsInvoker.Diagnostics;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// What a proxy name stands for: one valid set of its options, with what the proxy computes from them once: where the function
/// lives and how to connect to it, for an app mount each function it exposes, and for a function with backends each
/// of them. Immutable: a request uses the proxy it started with to the end, even when the options reload meanwhile.
/// Made only by its <see cref="Source"/>, which holds the current one.
/// </summary>
internal sealed class NamedProxy
{
    /// <summary>The function segment of an app mount's own route, as logs show its address.</summary>
    private const string AppMountSegment = "{function}";

    private readonly FunctionBackends _backends;
    private readonly FrozenDictionary<string, AppFunction>.AlternateLookup<ReadOnlySpan<char>> _functions;

    private NamedProxy(string name, AzureFunctionProxyOptions options, bool appMount, CircuitRegistry? circuits)
    {
        Options = options;
        IsAppMount = appMount;
        Connection = ConnectionSettings.From(options);

        // With two or more backends, one circuit per backend, which every function of an app mount shares: an outage is the host's.
        var backendCircuits = circuits is null ? null : FunctionBackends.Circuits(name, options, circuits);
        _backends = new FunctionBackends(name, options, appMount ? AppMountSegment : options.FunctionName!, Connection, backendCircuits);
        Pool = _backends.Pool; // every request reads it: held here, so a request does not enter FunctionBackends
        if (appMount)
        {
            var connection = Connection;
            _functions = options.Functions
                .ToFrozenDictionary(f => f.Key, f => new AppFunction(name, f.Key, options, f.Value, connection, backendCircuits), StringComparer.OrdinalIgnoreCase)
                .GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    /// <summary>The function's name in the app: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name => Backend.Name;

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
    public FunctionRoute Route => _backends.Route;

    public ConnectionSettings Connection { get; }

    /// <summary>Where requests go, as logs show it: the function's address, or its backends' by priority (<c>https://a/api/hello or https://b/api/hello</c>).</summary>
    public string Address => _backends.Address;

    /// <summary>
    /// What an exchange with the function needs of it. For an app mount, only its host is meant: see
    /// <see cref="TryGetFunction"/>; with two or more backends, the first by priority.
    /// </summary>
    public Backend Backend => _backends.First;

    /// <summary>
    /// The function's backends: its one host, or two or more, each with its circuit. For an app mount, its hosts (route
    /// segment <c>{function}</c>), for logs and the health check: each function has its own, sharing these circuits
    /// (see <see cref="TryGetFunction"/>).
    /// </summary>
    public BackendPool Pool { get; }

    /// <summary>
    /// Makes the named proxy of options that passed validation, warning about the risky or likely mistaken settings they
    /// hold, naming the function as <paramref name="origin"/> does. <paramref name="appMount"/> is what the function is
    /// mounted as; <see langword="null"/> before it is, when the options decide. The circuits of its backends, when it
    /// has two or more, come from <paramref name="circuits"/>, or from a registry of their own (on the system clock)
    /// without one.
    /// </summary>
    public static NamedProxy Create(OptionsOrigin origin, AzureFunctionProxyOptions validOptions, ILogger logger, bool? appMount = null, CircuitRegistry? circuits = null)
    {
        var options = validOptions.Clone();
        circuits ??= options.Backends.Count < 2 ? null : new CircuitRegistry(TimeProvider.System, metrics: null, logger);
        var proxy = new NamedProxy(origin.Name, options, appMount ?? options.Functions.Count > 0, circuits);
        foreach (var backend in proxy.Pool.Backends)
        {
            Warn(origin, backend.Options, backend.FunctionUri, logger);
        }

        return proxy;
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
    /// Where a mount finds its function's current <see cref="NamedProxy"/>: fixed for options given in code, or
    /// following configuration for a named function, so a rotated key or a new timeout applies to the next request
    /// without a restart. A reload that fails validation is logged, naming the options, and the last valid proxy
    /// stays in use. The current proxy's connection settings are leased for the client the mount sends through, so
    /// the pool of settings a reload replaced is disposed once its requests end. What the function is mounted as (an app
    /// mount or one function) is fixed by its first options: a reload that would change it is rejected.
    /// </summary>
    public sealed class Source : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly LiveConnectionSettings _connections;
        private readonly CircuitRegistry? _circuits;
        private NamedProxy? _current;
        private IDisposable? _lease;
        private AzureFunctionProxyOptions? _rejected;
        private IDisposable? _reloads;

        private Source(OptionsOrigin origin, LiveConnectionSettings connections, string clientName, CircuitRegistry? circuits)
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

        /// <summary>The proxy for a request starting now.</summary>
        public NamedProxy Current => Volatile.Read(ref _current)!;

        /// <summary>A source that always gives the proxy of <paramref name="options"/>, sent through the client named <paramref name="clientName"/>.</summary>
        /// <exception cref="OptionsValidationException">The options are invalid.</exception>
        public static Source Fixed(OptionsOrigin origin, AzureFunctionProxyOptions options, LiveConnectionSettings connections, string clientName, ILogger logger, CircuitRegistry? circuits = null)
        {
            var proxy = NamedProxy.Create(origin, Validate(Microsoft.Extensions.Options.Options.DefaultName, origin, options), logger, circuits: circuits);
            var source = new Source(origin, connections, clientName, circuits);
            lock (source._gate)
            {
                source.Use(proxy);
            }

            return source;
        }

        /// <summary>
        /// A source that follows the options of <paramref name="monitor"/> named as <paramref name="origin"/> names the
        /// function, sent through the client named <paramref name="clientName"/>. The circuits of its backends come from
        /// <paramref name="circuits"/>, so a reload keeps those of the backends it keeps.
        /// </summary>
        /// <exception cref="OptionsValidationException">The options are invalid now, at startup.</exception>
        public static Source Watch(OptionsOrigin origin, string clientName, IOptionsMonitor<AzureFunctionProxyOptions> monitor, LiveConnectionSettings connections, ILogger logger, CircuitRegistry? circuits = null)
        {
            var name = origin.Name;

            // Listening first, then reading: a reload between the two is not lost.
            var source = new Source(origin, connections, clientName, circuits);
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
                        source.Use(NamedProxy.Create(origin, Validate(name, origin, monitor.Get(name)), logger, circuits: circuits));
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
                var proxy = NamedProxy.Create(origin, options, logger, appMount, _circuits);
                Use(proxy);
                Log.Reloaded(logger, origin.Name, proxy.Address);
            }
        }

        // Under _gate. The new settings are leased before the old are released, so settings a reload keeps never look
        // unused, which would dispose their pool.
        private void Use(NamedProxy proxy)
        {
            var lease = _connections.Lease(ClientName, proxy.Connection);
            Volatile.Write(ref _current, proxy);
            _lease?.Dispose();
            _lease = lease;
        }

        private static AzureFunctionProxyOptions Validate(string optionsName, OptionsOrigin origin, AzureFunctionProxyOptions options)
        {
            var result = AzureFunctionProxyOptionsValidator.Validate(origin, options);
            return result.Failed ? throw new OptionsValidationException(optionsName, typeof(AzureFunctionProxyOptions), result.Failures) : options;
        }
    }

    /// <summary>
    /// One function an app mount exposes, an entry of <c>Functions</c>: its route under the app's <c>RoutePrefix</c> and
    /// what an exchange with it needs (the app's options with the function's name, and its own key and client id when it
    /// has them). Made once per set of the app's options; the host (or the backends, with their circuits), its connection
    /// settings and every other option are the app's.
    /// </summary>
    public sealed class AppFunction
    {
        private readonly FunctionBackends _backends;

        /// <param name="mountName">The app mount's name.</param>
        /// <param name="functionName">The function's name, as <c>Functions</c> spells it.</param>
        /// <param name="app">The app mount's options.</param>
        /// <param name="own">The function's entry of <c>Functions</c>.</param>
        /// <param name="connection">The app mount's connection settings.</param>
        /// <param name="circuits">The circuits of the app's backends, shared by all its functions; see <see cref="FunctionBackends.Circuits"/>.</param>
        public AppFunction(string mountName, string functionName, AzureFunctionProxyOptions app, AzureFunctionProxyFunctionOptions? own, ConnectionSettings connection, IReadOnlyList<CircuitBreaker>? circuits)
        {
            _backends = new FunctionBackends(mountName, app.ForFunction(functionName, own), functionName, connection, circuits, mountSuffix: "/" + functionName);
            Pool = _backends.Pool; // as NamedProxy.Pool: held here, read by every request
        }

        public FunctionRoute Route => _backends.Route;

        /// <summary>What an exchange with the function needs of it (with two or more backends, the first's); its options' <c>FunctionName</c> is the function's.</summary>
        public Backend Backend => _backends.First;

        /// <summary>The function at each of the app's backends (one, or two or more behind their circuits).</summary>
        public BackendPool Pool { get; }
    }
}
