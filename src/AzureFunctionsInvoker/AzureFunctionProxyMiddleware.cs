using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker;

/// <summary>
/// The end of the pipeline for requests to one mount (a <c>UseAzureFunctionProxy</c> branch or a
/// <c>MapAzureFunctionProxy</c> endpoint): refuses what must not reach the function, hands the rest to
/// <see cref="FunctionForwarder"/> with the function's current target (for an app mount, the function the request's
/// first segment below the mount point names), and turns failures into the caller's answer.
/// </summary>
internal sealed class AzureFunctionProxyMiddleware
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly FunctionTargetSource _function;
    private readonly CallerMount _mount;
    private readonly FunctionForwarder _forwarder;
    private readonly ILogger _logger;

    private AzureFunctionProxyMiddleware(FunctionTargetSource function, CallerMount mount, FunctionForwarder forwarder, ILogger logger)
    {
        _function = function;
        _mount = mount;
        _forwarder = forwarder;
        _logger = logger;
    }

    /// <summary>
    /// The literal start of an endpoint's route pattern (<c>/orders</c> of <c>/orders/{**rest}</c>, <c>/shop</c> of
    /// <c>/shop/{function}/{**rest}</c>, route group prefixes included), which the forwarded path leaves out. Set before the first request. A branch has none,
    /// its mount point being in <see cref="HttpRequest.PathBase"/> already.
    /// </summary>
    public PathString EndpointPrefix
    {
        get => _mount.EndpointPrefix;
        set => _mount.EndpointPrefix = value;
    }

    /// <summary>The mount of <paramref name="function"/>, sending through the function's client.</summary>
    public static AzureFunctionProxyMiddleware Create(IServiceProvider services, FunctionTargetSource function)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var mount = new CallerMount(new DurableLinkProtector(services.GetRequiredService<IDataProtectionProvider>(), function.Current.Name, time));
        var forwarder = new FunctionForwarder(
            services.GetRequiredService<IHttpMessageHandlerFactory>(),
            function.ClientName,
            services.GetRequiredService<ProxyMetrics>(),
            time,
            services.GetRequiredService<ILogger<FunctionForwarder>>(),
            mount);
        return new AzureFunctionProxyMiddleware(function, mount, forwarder, services.GetRequiredService<ILogger<AzureFunctionProxyMiddleware>>());
    }

    /// <summary>The mount's request delegate.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var function = _function.Current;
        var options = function.Options;
        if (HttpMethods.IsTrace(context.Request.Method) || HttpMethods.IsConnect(context.Request.Method))
        {
            return RefuseAsync(context, ForwarderError.MethodNotAllowed, options);
        }

        var forwarding = function.Forwarding;
        var route = function.Route;
        var backends = function.Backends;
        var segmentsBelowPrefix = 0;
        if (function.IsAppMount)
        {
            // Judged as the caller sent it, before anything else: only a configured name, spelled with no escape,
            // is a function (routing's {function} value is decoded already).
            if (!function.TryGetFunction(RequestTarget.FirstSegmentBelow(context, EndpointPrefix), out var called))
            {
                return RefuseAsync(context, ForwarderError.FunctionNotFound, options);
            }

            forwarding = called.Forwarding;
            route = called.Route;
            backends = called.Backends;
            segmentsBelowPrefix = 1;
        }

        if (!RequestTarget.TryGetRestAndQuery(context, EndpointPrefix, segmentsBelowPrefix, out var rest, out var query))
        {
            return RefuseAsync(context, ForwarderError.UnsafePath, options);
        }

        var maxBodySize = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (maxBodySize is { IsReadOnly: false })
        {
            maxBodySize.MaxRequestBodySize = options.MaxRequestBodySize;
        }

        if (context.Request.ContentLength > options.MaxRequestBodySize)
        {
            return RefuseAsync(context, ForwarderError.RequestBodyTooLarge, options);
        }

        if (DurableLinkRequest.IsLink(rest, options.DurableLinksPath))
        {
            return ForwardDurableLinkAsync(context, forwarding, backends, rest, query);
        }

        if (backends is not null)
        {
            return FailoverAsync(context, backends, rest.ToString(), query);
        }

        return ForwardAsync(context, forwarding, route.Resolve(rest, query));
    }

    // {mount}/{DurableLinksPath}/{token}[/{operation}]: to the management URL the token stands for, on the host the
    // link was made on (one of the function's backends, with failover: the instance and its key live there), or
    // nowhere. The function's own route never sees these paths.
    private Task ForwardDurableLinkAsync(HttpContext context, ForwardingTarget forwarding, BackendPool? backends, ReadOnlySpan<char> rest, string query)
    {
        // Whatever it answers: the instance's state changes, and the link is a caller's own.
        UncachedResponse.Mark(context);
        var options = forwarding.Options;
        var pathAndQuery = DurableLinkRequest.Resolve(rest, query, options.DurableLinksPath, _mount.Links, out var link);
        var madeOn = link is null ? null : MadeOn(link, forwarding, backends);
        var queryStart = pathAndQuery?.IndexOf('?') ?? -1;
        if (pathAndQuery is null
            || madeOn is null
            || !RequestTarget.CanCarry(pathAndQuery)
            || !PathSafety.IsSafe(queryStart < 0 ? pathAndQuery : pathAndQuery.AsSpan(0, queryStart))
            || !Uri.TryCreate(madeOn.FunctionUri.GetLeftPart(UriPartial.Authority) + pathAndQuery, in s_verbatim, out var target))
        {
            // Never an exception: its message would hold the address, and the address holds the key.
            return RefuseAsync(context, ForwarderError.DurableLinkInvalid, options);
        }

        // Never with the function's key: a link whose URL had no code can have been made from a string the caller
        // wrote (an orchestration's input, shown in its status), and the key, a master key at worst, would open it.
        return ForwardAsync(context, madeOn.Keyless, target);
    }

    // The function's target (or backend) on the origin the link was made on; none when it is no longer one of them.
    private static ForwardingTarget? MadeOn(DurableLink link, ForwardingTarget forwarding, BackendPool? backends)
    {
        foreach (var target in backends?.Backends ?? [forwarding])
        {
            if (string.Equals(link.Origin, DurableLink.OriginOf(target.FunctionUri), StringComparison.OrdinalIgnoreCase))
            {
                return target;
            }
        }

        return null;
    }

    // Refused before anything was sent: logged as the table says, answered as it says.
    private Task RefuseAsync(HttpContext context, ForwarderError error, AzureFunctionProxyOptions options)
    {
        ForwarderErrors.Describe(error).Log?.Invoke(_logger, new(options, context.Request.Method));
        return ForwarderErrorResponse.WriteAsync(context, error);
    }

    private async Task ForwardAsync(HttpContext context, ForwardingTarget function, Uri target)
    {
        var error = await _forwarder.ForwardAsync(context, function, target).ConfigureAwait(false);
        await AnswerAsync(context, error).ConfigureAwait(false);
    }

    private async Task FailoverAsync(HttpContext context, BackendPool backends, string rest, string query)
    {
        var error = await _forwarder.ForwardAsync(context, backends, rest, query).ConfigureAwait(false);
        await AnswerAsync(context, error).ConfigureAwait(false);
    }

    private static Task AnswerAsync(HttpContext context, ForwarderError error)
    {
        if (error == ForwarderError.CallerAborted && !context.Response.HasStarted && context.Features.Get<IHttpRequestTimeoutFeature>() is { } requestTimeout)
        {
            // The app's request timeout policy ended the forward, not the caller: its middleware answers (504 by
            // default) when the endpoint throws, as endpoints that observe RequestAborted do.
            requestTimeout.RequestTimeoutToken.ThrowIfCancellationRequested();
        }

        return ForwarderErrorResponse.WriteAsync(context, error);
    }
}
