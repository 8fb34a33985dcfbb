using System.Collections.Concurrent;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// What a hostile caller tries against an app mount (<c>/shop/{function}/{**rest}</c> exposing <c>echo</c> and
/// <c>mirror</c>): an unlisted function or the host's routes through request shapes the app mount tests do not send
/// (absolute-form targets, HTTP/2 <c>:path</c>, a path base the caller forges), another function's key, and a
/// function other than the one routing matched, which endpoint policies judge.
/// </summary>
public sealed class AppMountAbuseTests
{
    private const string Pattern = "/shop/{function}/{**rest}";

    [Theory]
    [InlineData("http://proxy/shop/%65cho%2Fa")]
    [InlineData("http://proxy/shop/%65cho/a%2Fb")]
    [InlineData("http://proxy/shop/ech%6F/x%2Fy")]
    [InlineData("http://proxy/shop/echo%2Fa/b")]
    [InlineData("http://proxy/shop%2F%65cho/a")]
    [InlineData("http://proxy/shop%2Fecho/a")]
    [InlineData("http://proxy/shop%2Fadmin/echo/a%2Fb")]
    [InlineData("http://proxy/shop/admin%2F..%2Fecho/x")]
    public async Task An_absolute_form_target_is_judged_as_sent_so_an_encoded_name_is_404_and_never_forwarded(string target)
    {
        // Kestrel reads an absolute-form target as a Uri, whose path decodes %2F too: the name must still be the caller's bytes.
        await using var env = await StartAsync(f => Shop(f, f.Key));

        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy");

        Assert.Equal([404], RawHttp.Statuses(response));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_absolute_form_target_reaches_a_listed_function_with_its_rest_as_sent()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key));

        var response = await RawHttp.SendAsync(env.Port, "GET http://proxy/shop/ECHO/a%2Fb/%2F/c?x=%2F HTTP/1.1\nHost: proxy");

        Assert.Equal([200], RawHttp.Statuses(response));
        Assert.Equal(["/api/echo/a%2Fb/%2F/c?x=%2F"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_absolute_form_target_that_ends_a_mount_point_with_an_encoded_slash_is_refused()
    {
        // Kestrel decodes http://h/mytest%2Fx to /mytest/x, so the mount matches; what follows begins inside the
        // caller's segment, and appended it would lengthen the function's own name (/api/echo%2Fx).
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        var response = await RawHttp.SendAsync(env.Port, "GET http://proxy/mytest%2Fx HTTP/1.1\nHost: proxy");

        Assert.Equal([400], RawHttp.Statuses(response));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("/shop/%65cho/x", 404)]
    [InlineData("/shop/%u0065cho/x", 404)]
    [InlineData("/shop/echo/../admin/host/keys", 404)]
    [InlineData("/shop/echo/%2e%2e/%2e%2e/admin/host/keys", 404)]
    [InlineData("/shop/echo /x", 404)]
    [InlineData("/shop/echo\t/x", 404)]
    [InlineData("/shop/echo/x#/../../admin", 404)]
    [InlineData("/shop/\uff45cho/x", null)]
    [InlineData("/shop/m\u0131rror/x", null)]
    [InlineData("/shop/echo\u200b/x", null)]
    public async Task An_http2_path_naming_no_listed_function_is_refused_and_never_forwarded(string path, int? status)
    {
        await using var env = await StartAsync(f => Shop(f, f.Key), protocols: HttpProtocols.Http2);

        // Null: Kestrel resets a :path it cannot read (raw UTF-8) before the app sees it.
        Assert.Equal(status, await RawHttp2.GetStatusAsync(env.Port, path));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_http2_path_naming_a_listed_function_in_another_case_is_forwarded_by_its_configured_name()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key), protocols: HttpProtocols.Http2);

        Assert.Equal(200, await RawHttp2.GetStatusAsync(env.Port, "/shop/ECHO/a%2Fb?q=1"));
        Assert.Equal(["/api/echo/a%2Fb?q=1"], env.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("/shop/echo/x", "/shop")]
    [InlineData("/shop/admin/echo/x", "/shop")]
    [InlineData("/shop/admin/echo/x", "/shop/admin")]
    [InlineData("/shop/%65cho/echo/x", "/shop")]
    public async Task A_path_base_the_caller_forges_through_forwarded_headers_does_not_move_the_function_segment(string target, string prefix)
    {
        // An app that trusts X-Forwarded-Prefix (here from the loopback caller) gets a path base that is not in the
        // path: the function is still the segment routing matched below /shop, never one further along.
        var routed = new ConcurrentQueue<string?>();
        await using var env = await StartAsync(f => Shop(f, f.Key), app =>
        {
            app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedPrefix });
            RecordRoutedFunction(app, routed);
            app.MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName);
        });

        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy\nX-Forwarded-Prefix: {prefix}");

        var status = Assert.Single(RawHttp.Statuses(response));
        AssertCalledWhatRoutingMatched(env, routed);
        Assert.Equal(target == "/shop/echo/x" ? 200 : 404, status);
    }

    /// <summary>Targets of every shape, listed and not; whatever is forwarded is the function routing matched, kept inside its route.</summary>
    public static TheoryData<string> RoutedTargets => new()
    {
        "/shop/echo/x",
        "/SHOP/Echo/a%2Fb",
        "/shop/%65cho/x",
        "/shop/echo%2Fx/y",
        "/shop/admin/x",
        "/shop/./echo/x",
        "/shop/admin/../echo/x",
        "/shop/admin/%2e%2e/echo/x",
        "/shop/echo/%2e%2e/mirror/x",
        "//shop/echo/x",
        "/shop//echo/x",
        "/shop/echo;a=1/x",
        "/shop/echo/..;/..;/admin",
        "http://proxy/shop/echo/x",
        "http://proxy/shop/%65cho/a%2Fb",
        "http://proxy/shop%2Fadmin/echo/x",
        "http://proxy/shop%2Fecho/mirror/x",
        "http://proxy/shop/admin%2F..%2Fecho/x",
        "http://proxy/shop/admin\\..\\echo/x",
        "http://proxy/shop/admin/..%2F..%2Fecho/x",
        "http://proxy/shop/echo/..%2F..%2Fadmin/host/keys",
        "http://proxy\\shop/echo/x",
        "http://proxy/shop/echo#/../../admin",
    };

    [Theory]
    [MemberData(nameof(RoutedTargets))]
    public async Task Only_the_function_routing_matched_is_called_and_only_inside_its_route(string target)
    {
        // Endpoint policies (authorization, rate limiting) judge the route's {function} value: a forward to any other
        // function would slip past them.
        var routed = new ConcurrentQueue<string?>();
        await using var env = await StartAsync(f => Shop(f, f.Key), app =>
        {
            RecordRoutedFunction(app, routed);
            app.MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName);
        });

        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy");

        var status = Assert.Single(RawHttp.Statuses(response));
        AssertCalledWhatRoutingMatched(env, routed);
        Assert.True(status is 200 or 400 or 404, $"{target}: {status}");
        Assert.Equal(status == 200, !env.Function.ReceivedTargets.IsEmpty);
    }

    [Fact]
    public async Task A_constrained_function_parameter_is_still_judged_as_the_caller_sent_it()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key), app => app.MapAzureFunctionProxy("/shop/{function:alpha}/{**rest}", ProxyHostBuilder.AppMountName));

        var encoded = await RawHttp.SendAsync(env.Port, "GET /shop/%65cho/x HTTP/1.1\nHost: proxy");
        var plain = await RawHttp.SendAsync(env.Port, "GET /shop/echo/x HTTP/1.1\nHost: proxy");

        Assert.Equal([404], RawHttp.Statuses(encoded));
        Assert.Equal([200], RawHttp.Statuses(plain));
        Assert.Equal(["/api/echo/x"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_functions_own_key_never_goes_to_another_function_in_any_spelling_when_the_app_has_none()
    {
        // echo's key is the only one the stand-in accepts: a 401 from mirror means mirror never got it.
        await using var env = await StartAsync(f => Integration.AppMountTests.Shop(f, apiKey: null, new() { ["echo"] = new { ApiKey = f.Key }, ["mirror"] = new { } }));

        using var echo = await env.Caller.GetAsync(new Uri("/shop/Echo/1", UriKind.Relative));
        using var mirror = await env.Caller.PostAsync(new Uri("/shop/MIRROR", UriKind.Relative), new StringContent("m"));
        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri("/shop/mirror", UriKind.Relative)) { Content = new StringContent("m") };
        forged.Headers.Add("x-functions-key", "the-callers-own");
        using var withCallersKey = await env.Caller.SendAsync(forged);

        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, mirror.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withCallersKey.StatusCode);
        Assert.Equal(["/api/echo/1", "/api/mirror", "/api/mirror"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_reload_that_moves_a_key_from_one_function_to_another_applies_to_both_from_the_next_request()
    {
        await using var env = await StartAsync(f => Integration.AppMountTests.Shop(f, apiKey: null, new() { ["echo"] = new { ApiKey = f.Key }, ["mirror"] = new { } }));

        env.ReloadJson(Integration.AppMountTests.Shop(env.Function, apiKey: null, new() { ["echo"] = new { }, ["mirror"] = new { ApiKey = env.Function.Key } }));
        using var echo = await env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative));
        using var mirror = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        Assert.Equal(HttpStatusCode.Unauthorized, echo.StatusCode);
        Assert.Equal("m", await mirror.Content.ReadAsStringAsync());
    }

    private static Dictionary<string, object> Shop(StandInFunction function, string key) =>
        Integration.AppMountTests.Shop(function, key, new() { ["echo"] = new { }, ["mirror"] = new { } });

    // After routing (WebApplication adds it ahead of the app's middleware): the {function} value endpoint policies see.
    private static void RecordRoutedFunction(WebApplication app, ConcurrentQueue<string?> routed) =>
        app.Use((context, next) =>
        {
            routed.Enqueue(context.GetRouteValue("function") as string);
            return next(context);
        });

    private static void AssertCalledWhatRoutingMatched(ProxyTestHost env, ConcurrentQueue<string?> routed)
    {
        Assert.All(env.Function.ReceivedTargets, target =>
        {
            var function = Assert.Single(routed);
            Assert.NotNull(function);
            var route = "/api/" + function.ToLowerInvariant();
            Assert.StartsWith(route, target, StringComparison.Ordinal);
            Assert.True(LenientFrontEnd.StaysWithin(target.Split('?')[0], route), $"{target} resolves to {LenientFrontEnd.Resolve(target)}");
        });
    }

    private static Task<ProxyTestHost> StartAsync(
        Func<StandInFunction, object> configuration,
        Action<WebApplication>? mount = null,
        HttpProtocols protocols = HttpProtocols.Http1) =>
        new ProxyHostBuilder()
            .AddAppMount(configuration)
            .ConfigurePipeline(mount ?? (app => app.MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName)))
            .WithProtocols(protocols)
            .StartAsync();
}
