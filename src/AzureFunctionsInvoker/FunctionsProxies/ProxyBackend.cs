using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Functions;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Where a proxy's requests go: the origin of its <c>backendUri</c> (scheme, host and port, fixed at load: nothing the
/// caller sends can change them) and the templates of its path and query. Another host is a pool of one backend with
/// the <c>FunctionsProxies</c> connection settings; <c>localhost</c> is the Function App of <c>LocalFunctionApp</c>,
/// with its host or backends and settings as they currently are.
/// </summary>
internal sealed class ProxyBackend
{
    private readonly LocalFunctionApp? _local;
    private readonly BackendPool? _pool;
    private LocalPool? _localPool;

    /// <summary>A backend on another host.</summary>
    public ProxyBackend(string origin, BackendPool pool, ProxyTemplate path, ProxyTemplate? query)
    {
        Origin = origin;
        _pool = pool;
        Path = path;
        Query = query;
    }

    /// <summary>A backend on <c>localhost</c>: the Function App of <paramref name="local"/>, sending its key unless <paramref name="carriesCode"/>.</summary>
    public ProxyBackend(string origin, LocalFunctionApp local, bool carriesCode, string? apiKey, string? clientId, ProxyTemplate path, ProxyTemplate? query)
    {
        Origin = origin;
        _local = local;
        CarriesCode = carriesCode;
        ApiKey = apiKey;
        ClientId = clientId;
        Path = path;
        Query = query;
    }

    /// <summary>The <c>backendUri</c>'s scheme, host and port, as logs show it.</summary>
    public string Origin { get; }

    /// <summary>The path after its first <c>/</c>, which the backend's address (its origin and <c>/</c>) ends with.</summary>
    public ProxyTemplate Path { get; }

    /// <summary>The <c>backendUri</c>'s own query, without its <c>?</c>; <see langword="null"/> when it has none.</summary>
    public ProxyTemplate? Query { get; }

    /// <summary>
    /// The <c>code</c> the file puts in the query (the <c>backendUri</c>'s own or a constant
    /// <c>backend.request.querystring.code</c>), decoded: a key no response head may carry. <see langword="null"/> when none.
    /// </summary>
    public string? Code { get; init; }

    /// <summary>Whether the request goes to the Function App of <c>LocalFunctionApp</c>.</summary>
    public bool IsLocal => _local is not null;

    /// <summary>Whether the local <c>backendUri</c> carries its own <c>code</c>: the function's key is not sent then.</summary>
    public bool CarriesCode { get; }

    /// <summary>A constant <c>backend.request.headers.x-functions-key</c> of a local proxy, sent in place of the function's.</summary>
    public string? ApiKey { get; }

    /// <summary>A constant <c>backend.request.headers.x-functions-clientid</c> of a local proxy.</summary>
    public string? ClientId { get; }

    /// <summary>The backends for a request starting now, named as <paramref name="proxyName"/>.</summary>
    public BackendPool PoolFor(string proxyName)
    {
        if (_pool is not null)
        {
            return _pool;
        }

        // Follows the function's reloads: made again when its named proxy changed, reused otherwise.
        var current = _local!.Source.Current;
        var cached = Volatile.Read(ref _localPool);
        if (cached is not null && ReferenceEquals(cached.Named, current))
        {
            return cached.Pool;
        }

        var pool = _local.PoolFor(current, proxyName, this);
        Volatile.Write(ref _localPool, new LocalPool(current, pool));
        return pool;
    }

    private sealed record LocalPool(NamedProxy Named, BackendPool Pool);
}
