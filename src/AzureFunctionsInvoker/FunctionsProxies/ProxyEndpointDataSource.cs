using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The endpoints of the proxies of a <see cref="ProxiesFile"/>, one per <see cref="ProxyRoute"/>, made again when the
/// file reloads, as YARP's configuration makes its routes' endpoints. Also the convention builder
/// <c>MapFunctionsProxies</c> returns: a convention (<c>RequireAuthorization</c>, <c>RequireRateLimiting</c>,
/// <c>RequireCors</c>, <c>CacheOutput</c>) applies to every proxy, including those a reload adds.
/// </summary>
internal sealed class ProxyEndpointDataSource : EndpointDataSource, IEndpointConventionBuilder, IDisposable
{
    private readonly Lock _gate = new();
    private readonly ProxiesFile _file;
    private readonly ProxyInvoker _invoker;
    private readonly List<Action<EndpointBuilder>> _conventions = [];
    private readonly List<Action<EndpointBuilder>> _finallyConventions = [];
    private IReadOnlyList<Endpoint>? _endpoints;
    private CancellationTokenSource _changed = new();

    public ProxyEndpointDataSource(ProxiesFile file, ProxyInvoker invoker)
    {
        _file = file;
        _invoker = invoker;
        _ = file.Current;
        file.Changed += _ => Update();
    }

    public override IReadOnlyList<Endpoint> Endpoints
    {
        get
        {
            lock (_gate)
            {
                return _endpoints ??= Build(_file.Current);
            }
        }
    }

    public override IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    public void Add(Action<EndpointBuilder> convention)
    {
        lock (_gate)
        {
            _conventions.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        lock (_gate)
        {
            _finallyConventions.Add(finallyConvention);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _changed.Dispose();
        }
    }

    private void Update()
    {
        CancellationTokenSource changed;
        lock (_gate)
        {
            _endpoints = null;
            changed = _changed;
            _changed = new CancellationTokenSource();
        }

        changed.Cancel();
        changed.Dispose();
    }

    private List<Endpoint> Build(ProxyTable table)
    {
        var endpoints = new List<Endpoint>(table.Routes.Count);
        foreach (var route in table.Routes)
        {
            var builder = new RouteEndpointBuilder(context => InvokeAsync(context, route), route.Pattern, order: 0)
            {
                DisplayName = "Functions proxy " + string.Join(", ", route.Proxies.Select(p => $"'{p.Name}'")),
            };

            foreach (var convention in _conventions)
            {
                convention(builder);
            }

            foreach (var convention in _finallyConventions)
            {
                convention(builder);
            }

            endpoints.Add(builder.Build());
        }

        return endpoints;
    }

    private Task InvokeAsync(HttpContext context, ProxyRoute route)
    {
        if (route.Match(context) is { } proxy)
        {
            return _invoker.InvokeAsync(context, proxy);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
