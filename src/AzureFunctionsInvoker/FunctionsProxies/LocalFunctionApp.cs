using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Functions;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The Function App of <c>FunctionsProxiesOptions.LocalFunctionApp</c>, which answers a <c>backendUri</c> on
/// <c>localhost</c>: the registered function's current options, with the route prefix and function name left out (the
/// path comes from the <c>backendUri</c>), sent through that function's client, judged by its circuits.
/// </summary>
internal sealed class LocalFunctionApp(NamedProxy.Source source, CircuitRegistry circuits)
{
    private const string ProxyTraceEnabled = "Proxy-Trace-Enabled";

    /// <summary>The registered function.</summary>
    public NamedProxy.Source Source { get; } = source;

    /// <summary>The backends of <paramref name="named"/> for the local proxy <paramref name="proxyName"/> of <paramref name="backend"/>.</summary>
    public BackendPool PoolFor(NamedProxy named, string proxyName, ProxyBackend backend)
    {
        var options = named.Options.Clone();
        options.Functions.Clear();
        options.FunctionName = proxyName;
        options.RoutePrefix = string.Empty;
        options.DurableLinksPath = string.Empty;
        options.RemoveRequestHeaders.Add(ProxyTraceEnabled);
        if (backend.Code is not null && backend.ApiKey is null)
        {
            // The host reads a key header before code: a caller's own must not replace the file's.
            options.RemoveRequestHeaders.Add("x-functions-key");
        }

        if (backend.CarriesCode)
        {
            // The backendUri's code is the key: the host reads a header first, which would replace it.
            options.ApiKey = null;
            options.ClientId = null;
            foreach (var entry in options.Backends)
            {
                entry.ApiKey = null;
                entry.ClientId = null;
            }
        }

        // A key or client id the file gives replaces the function's, and each backend's own.
        foreach (var entry in options.Backends)
        {
            entry.ApiKey = backend.ApiKey is null ? entry.ApiKey : null;
            entry.ClientId = backend.ClientId is null ? entry.ClientId : null;
        }

        options.ApiKey = backend.ApiKey ?? options.ApiKey;
        options.ClientId = backend.ClientId ?? options.ClientId;

        // The function's own circuits: an outage of its Function App is one, whichever path finds it.
        var functionCircuits = FunctionBackends.Circuits(Source.Origin.Name, options, circuits);
        return new FunctionBackends(proxyName, options, string.Empty, named.Connection, functionCircuits).Pool;
    }
}
