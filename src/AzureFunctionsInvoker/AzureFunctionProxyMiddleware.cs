using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker;

/// <summary>
/// The end of the pipeline for requests under one mount point: refuses what must not reach the function,
/// hands the rest to <see cref="FunctionForwarder"/>, and turns its failures into the caller's answer.
/// </summary>
internal sealed class AzureFunctionProxyMiddleware
{
    private readonly AzureFunctionProxyOptions _options;
    private readonly FunctionRoute _route;
    private readonly ConnectionSettings _connection;
    private readonly FunctionForwarder _forwarder;
    private readonly ILogger _logger;

    public AzureFunctionProxyMiddleware(AzureFunctionProxyOptions options, FunctionForwarder forwarder, ILogger<AzureFunctionProxyMiddleware> logger)
    {
        _options = options;
        _forwarder = forwarder;
        _route = new FunctionRoute(options);
        _connection = ConnectionSettings.From(options);
        _logger = logger;

        if (options.Https && !options.HttpsVerify)
        {
            Log.HttpsVerifyDisabled(logger, options.FunctionName, _route.ToString());
        }

        if (!options.Https && !string.IsNullOrEmpty(options.ApiKey) && !_route.FunctionUri.IsLoopback)
        {
            Log.KeyOverHttp(logger, options.FunctionName, _route.ToString());
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!RequestTarget.TryGetRestAndQuery(context, out var rest, out var query))
        {
            Log.UnsafePath(_logger);
            return ForwarderErrorResponse.WriteAsync(context, ForwarderError.UnsafePath);
        }

        var maxBodySize = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (maxBodySize is { IsReadOnly: false })
        {
            maxBodySize.MaxRequestBodySize = _options.MaxRequestBodySize;
        }

        if (context.Request.ContentLength > _options.MaxRequestBodySize)
        {
            Log.RequestBodyTooLarge(_logger, _options.MaxRequestBodySize);
            return ForwarderErrorResponse.WriteAsync(context, ForwarderError.RequestBodyTooLarge);
        }

        return ForwardAsync(context, _route.Resolve(rest, query));
    }

    private async Task ForwardAsync(HttpContext context, Uri target)
    {
        var error = await _forwarder.ForwardAsync(context, target, _options, _connection).ConfigureAwait(false);
        await ForwarderErrorResponse.WriteAsync(context, error).ConfigureAwait(false);
    }
}
