using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// YARP doing this library's work: the caller's headers copied, then the function key and the
/// <c>X-Forwarded-*</c> headers set, so both forwarders send the same request.
/// </summary>
public sealed class YarpTransformer : HttpTransformer
{
    private readonly string _apiKey;

    public YarpTransformer(string apiKey)
    {
        _apiKey = apiKey;
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.TryAddWithoutValidation("x-functions-key", _apiKey);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", httpContext.Connection.RemoteIpAddress?.ToString());
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
    }
}
