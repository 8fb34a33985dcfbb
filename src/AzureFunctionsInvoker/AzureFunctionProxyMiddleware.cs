using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker;

/// <summary>
/// The end of the pipeline for requests to one mount (a <c>UseAzureFunctionProxy</c> branch or a
/// <c>MapAzureFunctionProxy</c> endpoint): refuses what must not reach the function, hands the rest to the one forward
/// path, <see cref="PoolForwarder"/>, with the backends of the current named proxy (for an app mount, of the
/// function the request's first segment below the mount point names; for a Durable link, the one backend it was made
/// on, without the key), and turns failures into the caller's answer.
/// </summary>
internal sealed class AzureFunctionProxyMiddleware
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly NamedProxy.Source _proxy;
    private readonly ResponseCopier _response;
    private readonly DurableLinkProtector _links;
    private readonly PoolForwarder _forwarder;
    private readonly RequestBodyBuffer _bodyBuffer;
    private readonly ILogger _logger;

    private AzureFunctionProxyMiddleware(NamedProxy.Source proxy, ResponseCopier response, DurableLinkProtector links, PoolForwarder forwarder, RequestBodyBuffer bodyBuffer, ILogger logger)
    {
        _proxy = proxy;
        _response = response;
        _links = links;
        _forwarder = forwarder;
        _bodyBuffer = bodyBuffer;
        _logger = logger;
    }

    /// <summary>
    /// The literal start of an endpoint's route pattern (<c>/orders</c> of <c>/orders/{**rest}</c>, <c>/shop</c> of
    /// <c>/shop/{function}/{**rest}</c>, route group prefixes included), which the forwarded path leaves out. Set before the first request. A branch has none,
    /// its mount point being in <see cref="HttpRequest.PathBase"/> already.
    /// </summary>
    public PathString EndpointPrefix
    {
        get => _response.EndpointPrefix;
        set => _response.EndpointPrefix = value;
    }

    /// <summary>The mount of <paramref name="source"/>'s named proxy, sending through its client.</summary>
    public static AzureFunctionProxyMiddleware Create(IServiceProvider services, NamedProxy.Source source)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var links = new DurableLinkProtector(services.GetRequiredService<IDataProtectionProvider>(), source.Current.Name, time);
        var exchangeLogger = services.GetRequiredService<ILogger<FunctionForwarder>>();
        var exchange = new FunctionForwarder(services.GetRequiredService<IHttpMessageHandlerFactory>(), source.ClientName, time, exchangeLogger);
        var response = new ResponseCopier(exchangeLogger, services.GetService<EventStreamDrain>(), links);
        var forwarder = new PoolForwarder(exchange, response, services.GetRequiredService<ProxyMetrics>(), exchangeLogger);
        var bodyBuffer = services.GetService<RequestBodyBuffer>() ?? new RequestBodyBuffer();
        return new AzureFunctionProxyMiddleware(source, response, links, forwarder, bodyBuffer, services.GetRequiredService<ILogger<AzureFunctionProxyMiddleware>>());
    }

    /// <summary>The mount's request delegate.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = _proxy.Current;
        var options = proxy.Options;
        if (HttpMethods.IsTrace(context.Request.Method) || HttpMethods.IsConnect(context.Request.Method))
        {
            return RefuseAsync(context, ForwarderError.MethodNotAllowed, options);
        }

        var pool = proxy.Pool;
        var request = RequestTarget.Parse(context, EndpointPrefix);
        if (proxy.IsAppMount)
        {
            // Judged as the caller sent it, before anything else: only a configured name, spelled with no escape,
            // is a function (routing's {function} value is decoded already).
            if (!proxy.TryGetFunction(request.FirstSegment, out var called))
            {
                return RefuseAsync(context, ForwarderError.FunctionNotFound, options);
            }

            pool = called.Pool;
            request = request.BelowFirstSegment();
        }

        if (!request.IsSafe)
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

        // Only a path whose first segment may be the links segment (empty when links are off) is judged further: nearly
        // every request's is plain ASCII that starts otherwise.
        Uri? linkUrl = null;
        var rest = request.Rest;
        var linksPath = options.DurableLinksPath;
        if (PathSafety.MayNameFirstSegment(rest, linksPath))
        {
            if (DurableLinkRequest.IsLink(rest, linksPath))
            {
                // Whatever it answers: the instance's state changes, and the link is a caller's own.
                UncachedResponse.Mark(context);
                if (!TryResolveLink(rest, request.Query, options, ref pool, out linkUrl))
                {
                    // Never an exception: its message would hold the address, and the address holds the key.
                    return RefuseAsync(context, ForwarderError.DurableLinkInvalid, options);
                }
            }
            else if (PathSafety.NamesFirstSegment(rest, linksPath))
            {
                // Another spelling of the links segment (%5Fdurable, //_durable, _durable;x, _durable.) is no link, and
                // must not reach the function either: a lenient server could read it as one, and it is sent with the key.
                return RefuseAsync(context, ForwarderError.DurableLinkInvalid, options);
            }
        }

        // A body without a length is read whole before anything is sent, so it goes with a Content-Length.
        return RequestBodyBuffer.IsNeeded(context, options)
            ? BufferThenForwardAsync(context, pool, request, linkUrl, options)
            : _forwarder.ForwardAndAnswerAsync(context, pool, request, linkUrl);
    }

    // {mount}/{DurableLinksPath}/{token}[/{operation}]: to the management URL the token stands for, on the backend the
    // link was made on (the instance and its key live there), never with the function's key: a link whose URL had no
    // code can have been made from a string the caller wrote (an orchestration's input, shown in its status), and the
    // key, a master key at worst, would open it. Nowhere when the link does not read or its backend is gone. The
    // function's own route never sees these paths.
    private bool TryResolveLink(ReadOnlySpan<char> rest, string query, AzureFunctionProxyOptions options, ref BackendPool pool, [NotNullWhen(true)] out Uri? url)
    {
        url = null;
        var pathAndQuery = DurableLinkRequest.Resolve(rest, query, options.DurableLinksPath, _links, options.DurableLinksLifetime, out var link);
        if (pathAndQuery is null || link is null || pool.KeylessAt(link.Origin) is not { } madeOn)
        {
            return false;
        }

        var queryStart = pathAndQuery.IndexOf('?');
        if (!RequestTarget.CanCarry(pathAndQuery)
            || !PathSafety.IsSafe(queryStart < 0 ? pathAndQuery : pathAndQuery.AsSpan(0, queryStart))
            || !Uri.TryCreate(madeOn.Backends[0].FunctionUri.GetLeftPart(UriPartial.Authority) + pathAndQuery, in s_verbatim, out url))
        {
            return false;
        }

        pool = madeOn;
        return true;
    }

    // Refused before anything was sent: logged as the table says, answered as it says.
    private Task RefuseAsync(HttpContext context, ForwarderError error, AzureFunctionProxyOptions options)
    {
        ForwarderErrors.Report(_logger, error, new(options, context.Request.Method));
        return ForwarderErrorResponse.WriteAsync(context, error);
    }

    private async Task BufferThenForwardAsync(HttpContext context, BackendPool pool, RequestTarget request, Uri? linkUrl, AzureFunctionProxyOptions options)
    {
        if (await _bodyBuffer.TryHoldWholeAsync(context, options, _logger).ConfigureAwait(false))
        {
            await _forwarder.ForwardAndAnswerAsync(context, pool, request, linkUrl).ConfigureAwait(false);
        }
    }
}
