using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Location, Content-Location and Set-Cookie over real sockets: what points at the function's own route comes back under
/// the mount, as the caller addressed the app; everything else comes back as the function wrote it.
/// </summary>
public sealed class RedirectAndCookieRewriteTests
{
    [Theory]
    [InlineData("{origin}/api/answer/login?next=%2Fhome&a=1#top", "{proxy}/mytest/login?next=%2Fhome&a=1#top")]
    [InlineData("{origin}/api/answer", "{proxy}/mytest")]
    [InlineData("{origin}/api/answer/", "{proxy}/mytest/")]
    [InlineData("{origin}/API/Answer/x", "{proxy}/mytest/x")]
    [InlineData("{origin}/api/answer/a%2Fb/%C3%A9%20c", "{proxy}/mytest/a%2Fb/%C3%A9%20c")]
    [InlineData("{origin}/api/answer?only=query", "{proxy}/mytest?only=query")]
    [InlineData("/api/answer/login?x=1", "/mytest/login?x=1")]
    [InlineData("/api/answer", "/mytest")]
    public async Task A_location_on_the_functions_route_comes_back_under_the_mount(string location, string expected)
    {
        await using var env = await StartAsync(location);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(Expand(expected, env), response.Headers.Location!.OriginalString);
        Assert.Equal(Expand(expected, env), response.Content.Headers.ContentLocation!.OriginalString);
    }

    [Theory]
    [InlineData("{origin}/api/answerworld/x")] // not a segment boundary
    [InlineData("{origin}/api/other/x")] // the function host's other routes
    [InlineData("{origin}/admin/host/status")]
    [InlineData("{origin}/runtime/webhooks/other")]
    [InlineData("https://127.0.0.1:{functionPort}/api/answer/x")] // another scheme
    [InlineData("http://127.0.0.1:1/api/answer/x")] // another port
    [InlineData("http://localhost:{functionPort}/api/answer/x")] // another host
    [InlineData("https://elsewhere.example/api/answer/x")]
    [InlineData("http://user@127.0.0.1:{functionPort}/api/answer/x")]
    [InlineData("//127.0.0.1:{functionPort}/api/answer/x")] // network-path reference
    [InlineData("login")] // relative references
    [InlineData("../answer/x")]
    [InlineData("?page=2")]
    [InlineData("/api/answerworld")]
    public async Task Other_locations_come_back_as_written(string location)
    {
        await using var env = await StartAsync(location);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(Expand(location, env), response.Headers.Location!.OriginalString);
        Assert.Equal(Expand(location, env), response.Content.Headers.ContentLocation!.OriginalString);
    }

    [Fact]
    public async Task RewriteRedirects_false_leaves_locations_alone()
    {
        await using var env = await StartAsync("{origin}/api/answer/login", options => options.RewriteRedirects = false);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(Expand("{origin}/api/answer/login", env), response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_callers_path_base_scheme_and_host_are_honoured()
    {
        await using var env = await StartAsync(
            "{origin}/api/answer/login",
            configurePipeline: app =>
            {
                app.UseForwardedHeaders(new() { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedHost | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto, KnownProxies = { IPAddress.Loopback } });
                app.UsePathBase("/base");
            });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/base/mytest");
        request.Headers.Add("X-Forwarded-Host", "app.example.com");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal("https://app.example.com/base/mytest/login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task An_http2_caller_gets_the_mount_as_it_addressed_it()
    {
        await using var env = await StartAsync("{origin}/api/answer/login", http2Caller: true);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal($"http://127.0.0.1:{env.Port}/mytest/login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_route_group_prefix_is_part_of_the_mount()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Answer"] = "answer" })
            .ConfigurePipeline(app => app.MapGroup("/v1").MapAzureFunctionProxy("/orders/{**rest}", "Answer"))
            .StartAsync();
        env.Function.Answer = context => Redirect(context, $"{env.Function.Origin}/api/answer/42?x=1", "/api/answer/a");

        using var response = await env.Caller.GetAsync("/v1/orders/anything");

        Assert.Equal($"{env.Caller.BaseAddress!.GetLeftPart(UriPartial.Authority)}/v1/orders/42?x=1", response.Headers.Location!.OriginalString);
        Assert.Equal("/v1/orders/a", response.Content.Headers.ContentLocation!.OriginalString);
    }

    [Fact]
    public async Task Cookies_for_the_functions_host_and_route_belong_to_the_apps_host_and_mount()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.Headers.Append("Set-Cookie", "a=1; Domain=127.0.0.1; Path=/api/answer; Secure; HttpOnly");
            context.Response.Headers.Append("Set-Cookie", "b=2; path=/api/answer/cart; SameSite=Lax; domain=.127.0.0.1");
            context.Response.Headers.Append("Set-Cookie", "c=3");
            context.Response.Headers.Append("Set-Cookie", "d=4; Domain=elsewhere.example; Path=/");
            context.Response.Headers.Append("Set-Cookie", "e=5; Path=/api/answerworld; Max-Age=60");
            context.Response.Headers.Append("Set-Cookie", "f=\"x;y\"; Path=/api");
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(
            [
                "a=1; Path=/mytest; Secure; HttpOnly",
                "b=2; Path=/mytest/cart; SameSite=Lax",
                "c=3",
                "d=4; Domain=elsewhere.example; Path=/",
                "e=5; Path=/api/answerworld; Max-Age=60",
                "f=\"x;y\"; Path=/api",
            ],
            response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task RewriteCookies_false_leaves_cookies_alone()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer", options => options.RewriteCookies = false).StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.Headers.Append("Set-Cookie", "a=1; Domain=127.0.0.1; Path=/api/answer");
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(["a=1; Domain=127.0.0.1; Path=/api/answer"], response.Headers.GetValues("Set-Cookie"));
    }

    private static Task<ProxyTestHost> StartAsync(
        string location, Action<AzureFunctionProxyOptions>? configure = null, Action<WebApplication>? configurePipeline = null, bool http2Caller = false) =>
        StartWithAnswerAsync(location, configure, configurePipeline, http2Caller);

    private static async Task<ProxyTestHost> StartWithAnswerAsync(
        string location, Action<AzureFunctionProxyOptions>? configure, Action<WebApplication>? configurePipeline, bool http2Caller)
    {
        var env = await new ProxyHostBuilder()
            .MountFunction("answer", configure)
            .WithProtocols(http2Caller ? HttpProtocols.Http2 : HttpProtocols.Http1)
            .ConfigurePipeline(configurePipeline)
            .StartAsync();
        var value = Expand(location, env);
        env.Function.Answer = context => Redirect(context, value, value);
        return env;
    }

    private static Task Redirect(HttpContext context, string location, string contentLocation)
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = location;
        context.Response.Headers.ContentLocation = contentLocation;
        return Task.CompletedTask;
    }

    private static string Expand(string template, ProxyTestHost env) => template
        .Replace("{origin}", env.Function.Origin, StringComparison.Ordinal)
        .Replace("{functionPort}", env.Function.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{proxy}", $"http://127.0.0.1:{env.Port}", StringComparison.Ordinal);
}
