using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Serves one request a proxy matched: a response made of its overrides alone, or a forward through the one forward
/// path of every mount (<see cref="PoolForwarder"/>, the exchange, <see cref="ResponseCopier"/>), to the address its
/// <c>backendUri</c> makes for the request, with its request overrides applied to what the exchange sends and its
/// response overrides to what the caller gets. Refuses what a mount refuses: TRACE and CONNECT, a path or an address
/// that could leave its route, a body over the limit.
/// </summary>
internal sealed class ProxyInvoker(PoolForwarder remote, PoolForwarder? local, RequestBodyBuffer bodyBuffer, ILogger logger)
{
    /// <summary>Answers <paramref name="context"/> with <paramref name="proxy"/>.</summary>
    public Task InvokeAsync(HttpContext context, FunctionsProxy proxy)
    {
        if (proxy.Backend is not { } backend)
        {
            return ProxyResponse.WriteMockAsync(context, proxy.Response);
        }

        var pool = backend.PoolFor(proxy.Name);
        var options = pool.Backends[0].Options;
        var method = context.Request.Method;
        if (HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method))
        {
            return RefuseAsync(context, ForwarderError.MethodNotAllowed, options);
        }

        // The caller's path is judged as sent, as a mount judges it, before any of it is used.
        var target = RequestTarget.Parse(context, PathString.Empty);
        if (!target.IsSafe)
        {
            return RefuseAsync(context, ForwarderError.UnsafePath, options);
        }

        var rawPath = target.Rest;
        var callerQuery = target.Query;

        var path = backend.Path.Render(context, proxy.Parameters, rawPath, TemplateEncoding.Path);
        var query = ProxyQuery.Make(context, proxy, backend, rawPath, callerQuery);
        if (!PathSafety.IsSafe(path) || !RequestTarget.CanCarry(path) || !RequestTarget.CanCarry(query))
        {
            return RefuseAsync(context, ForwarderError.UnsafePath, options);
        }

        string? sentMethod = null;
        if (proxy.MethodOverride is { } methodOverride)
        {
            sentMethod = methodOverride.Render(context, proxy.Parameters, rawPath, TemplateEncoding.Plain).ToUpperInvariant();
            if (!HeaderNameCharacters.IsToken(sentMethod) || HttpMethods.IsTrace(sentMethod) || HttpMethods.IsConnect(sentMethod))
            {
                return RefuseAsync(context, ForwarderError.MethodNotAllowed, options);
            }
        }

        var headers = RenderHeaders(context, proxy, rawPath);
        var maxBodySize = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (maxBodySize is { IsReadOnly: false })
        {
            maxBodySize.MaxRequestBodySize = options.MaxRequestBodySize;
        }

        if (context.Request.ContentLength > options.MaxRequestBodySize)
        {
            return RefuseAsync(context, ForwarderError.RequestBodyTooLarge, options);
        }

        // The pool's backends are addressed at their origin and '/': the path after it is the rest.
        var forwarder = backend.IsLocal ? local! : remote;

        // A body without a length is read whole before anything is sent, so it goes with a Content-Length, as a mount's.
        return RequestBodyBuffer.IsNeeded(context, options)
            ? BufferThenForwardAsync(context, proxy, forwarder, pool, path, query, sentMethod, headers, options)
            : ForwardAsync(context, proxy, forwarder, pool, path, query, sentMethod, headers);
    }

    private async Task BufferThenForwardAsync(HttpContext context, FunctionsProxy proxy, PoolForwarder forwarder, BackendPool pool, string rest, string query, string? method, RenderedHeader[]? headers, AzureFunctionProxyOptions options)
    {
        if (await bodyBuffer.TryHoldWholeAsync(context, options, logger).ConfigureAwait(false))
        {
            await ForwardAsync(context, proxy, forwarder, pool, rest, query, method, headers).ConfigureAwait(false);
        }
    }

    private static RenderedHeader[]? RenderHeaders(HttpContext context, FunctionsProxy proxy, ReadOnlySpan<char> rawPath)
    {
        if (proxy.HeaderOverrides.Count == 0)
        {
            return null;
        }

        var headers = new RenderedHeader[proxy.HeaderOverrides.Count];
        for (var i = 0; i < headers.Length; i++)
        {
            var (name, value) = proxy.HeaderOverrides[i];
            headers[i] = new(name, value.Render(context, proxy.Parameters, rawPath, TemplateEncoding.Plain));
        }

        return headers;
    }

    private static async Task ForwardAsync(HttpContext context, FunctionsProxy proxy, PoolForwarder forwarder, BackendPool pool, string rest, string query, string? method, RenderedHeader[]? headers)
    {
        var request = context.Features.Get<IHttpRequestFeature>()!;
        var callerMethod = request.Method;
        var callerHeaders = request.Headers;
        var response = proxy.Response;
        if (proxy.Backend!.Code is { } code)
        {
            // Registered first, so it runs after the overrides' head is applied (callbacks run last to first).
            context.Response.OnStarting(static state =>
            {
                var (context, code) = ((HttpContext, string))state;
                ProxyKeyScrubber.Remove(context.Response.Headers, code);
                return Task.CompletedTask;
            }, (context, code));
        }

        var head = response is { Body: null } ? ProxyResponse.OnStarting(context, response) : null;
        var callerBody = response?.Body is null ? null : context.Features.Get<IHttpResponseBodyFeature>();
        ForwarderError error;
        try
        {
            // What the exchange sends: the caller's request with the overrides, for the exchange's length only.
            if (method is not null)
            {
                request.Method = method;
            }

            if (headers is not null)
            {
                var sent = new HeaderDictionary();
                foreach (var (name, values) in callerHeaders)
                {
                    sent[name] = values;
                }

                foreach (var header in headers)
                {
                    sent[header.Name] = header.Value;
                }

                request.Headers = sent;
            }

            if (callerBody is not null)
            {
                // The backend's body is replaced: read to its end, as the exchange does, and dropped.
                context.Response.Body = Stream.Null;
            }

            error = await forwarder.ForwardAsync(context, pool, RequestTarget.Of(rest, query)).ConfigureAwait(false);
        }
        finally
        {
            if (method is not null)
            {
                request.Method = callerMethod;
            }

            if (headers is not null)
            {
                request.Headers = callerHeaders;
            }

            if (callerBody is not null)
            {
                context.Features.Set(callerBody);
            }
        }

        if (error != ForwarderError.None)
        {
            head?.Skip();
            await ForwarderErrorResponse.WriteAfterForwardAsync(context, error).ConfigureAwait(false);
            return;
        }

        if (callerBody is not null)
        {
            // Before the body override reads {backend.response.headers.*}.
            if (proxy.Backend.Code is { } key)
            {
                ProxyKeyScrubber.Remove(context.Response.Headers, key);
            }

            await ProxyResponse.WriteOverridesAsync(context, response!).ConfigureAwait(false);
        }
    }

    private Task RefuseAsync(HttpContext context, ForwarderError error, AzureFunctionProxyOptions options)
    {
        ForwarderErrors.Report(logger, error, new(options, context.Request.Method));
        return ForwarderErrorResponse.WriteAsync(context, error);
    }

    private readonly record struct RenderedHeader(string Name, string Value);
}
