using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>One of the measured requests, as a caller's <see cref="HttpContext"/> with the headers a browser or SDK sends.</summary>
public sealed class Scenario
{
    private static readonly byte[] s_uploadBody = new byte[64 * 1024];

    private Scenario(string name, string method, string target, byte[]? body)
    {
        Name = name;
        Method = method;
        Target = target;
        Body = body;
    }

    public static Scenario SmallGet { get; } = new("small GET", HttpMethods.Get, "/mytest/hello?name=Kong", null);

    public static Scenario Post64K { get; } = new("64 KiB POST", HttpMethods.Post, "/mytest/upload", s_uploadBody);

    public static Scenario Get1M { get; } = new("1 MiB GET", HttpMethods.Get, "/mytest/large", null);

    /// <summary>A Durable Functions starter's answer: 202, a Location and eight management URLs in JSON, each rewritten by the library.</summary>
    public static Scenario DurableStart { get; } = new("Durable start", HttpMethods.Post, "/mytest/orchestrators/hello", null);

    /// <summary>An ordinary function's JSON answer (2 KiB, a hundred string values, no management URL), which passes untouched.</summary>
    public static Scenario JsonGet { get; } = new("2 KiB JSON GET", HttpMethods.Get, "/mytest/json", null);

    public static IEnumerable<Scenario> All => [SmallGet, Post64K, Get1M, DurableStart, JsonGet];

    public string Name { get; }

    public string Method { get; }

    /// <summary>The request target on the wire, below the app's <c>/mytest</c> mount.</summary>
    public string Target { get; }

    public byte[]? Body { get; }

    public DefaultHttpContext CreateContext(IServiceProvider services, DiscardStream responseBody)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var queryStart = Target.IndexOf('?', StringComparison.Ordinal);
        var request = context.Request;
        request.Method = Method;
        request.Scheme = "https";
        request.Host = new HostString("gateway.example.com");
        request.Path = queryStart < 0 ? Target : Target[..queryStart];
        request.QueryString = queryStart < 0 ? QueryString.Empty : new QueryString(Target[queryStart..]);
        request.Protocol = "HTTP/1.1";
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = Target;
        context.Connection.RemoteIpAddress = IPAddress.Loopback;

        request.Headers.Host = "gateway.example.com";
        request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) benchmark";
        request.Headers.Accept = "text/plain, application/json";
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        request.Headers.AcceptLanguage = "en-GB,en;q=0.9";
        if (Body is not null)
        {
            request.ContentType = "application/octet-stream";
            request.ContentLength = Body.Length;
            request.Body = new MemoryStream(Body, writable: false);
        }

        context.Response.Body = responseBody;
        return context;
    }

    public override string ToString() => Name;
}
