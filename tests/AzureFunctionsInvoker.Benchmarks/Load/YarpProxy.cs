using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// The same forward with YARP's direct forwarding, the smallest YARP setup for one destination: <c>MapForwarder</c>
/// with its default transport (pooled, HTTP/1.1 over plain HTTP) and default transforms (caller's headers copied,
/// <c>X-Forwarded-*</c> set), plus the two transforms that make its request the library's: the mount point
/// removed from the path and the key added.
/// </summary>
internal static class YarpProxy
{
    public static WebApplication Build(WebApplicationBuilder builder, int functionPort, string functionKey)
    {
        builder.Services.AddHttpForwarder();
        var app = builder.Build();

        // An endpoint, so routing runs before it: that is how YARP is used, as the library's middleware branch is.
        // AZFI_LOAD_HTTP_VERSION=2: HTTP/2 to the stand-in with prior knowledge (h2c), as the library's HttpVersion 2 over HTTP.
        var config = Environment.GetEnvironmentVariable("AZFI_LOAD_HTTP_VERSION") == "2"
            ? new ForwarderRequestConfig { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
            : ForwarderRequestConfig.Empty;
        app.MapForwarder(LoadProxyHost.MountPath + "/{**catch-all}", $"http://127.0.0.1:{functionPort}/api/hello", config, transforms =>
        {
            transforms.AddPathRemovePrefix(LoadProxyHost.MountPath);
            transforms.AddRequestHeader("x-functions-key", functionKey, append: false);
        });
        return app;
    }
}
