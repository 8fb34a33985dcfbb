using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Net;
using System.Net.Http.Headers;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>The forwarding contract over real sockets: target, method, headers and response as the function and caller see them.</summary>
public sealed class ForwardingContractTests
{
    [Fact]
    public async Task Forwards_query_string_byte_for_byte()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        const string query = "?b=2&a=1&a=3&flag&x=%20%2B+y&e=%zz&u=%C3%A9&&=";

        using var response = await env.SendRawPathAsync(HttpMethod.Get, "/mytest" + query);

        Assert.Equal("/api/echo" + query, (await Echo.ReadAsync(response)).Target);
    }

    [Theory]
    [InlineData("/mytest/a%20b", "/api/echo/a%20b")]
    [InlineData("/mytest/a%2Fb", "/api/echo/a%2Fb")]
    [InlineData("/mytest/a%2fb/c", "/api/echo/a%2fb/c")]
    [InlineData("/mytest/", "/api/echo/")]
    [InlineData("/mytest", "/api/echo")]
    [InlineData("/MyTest/x", "/api/echo/x")]
    [InlineData("/mytest/%C3%A9t%C3%A9", "/api/echo/%C3%A9t%C3%A9")]
    [InlineData("/mytest/a;b=c/x", "/api/echo/a;b=c/x")]
    [InlineData("/mytest/a//b", "/api/echo/a//b")]
    public async Task Forwards_the_path_with_its_percent_encoding_intact(string path, string expected)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.SendRawPathAsync(HttpMethod.Get, path);

        Assert.Equal(expected, (await Echo.ReadAsync(response)).Target);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("PURGE")]
    [InlineData("REPORT")]
    public async Task Forwards_every_method_as_is(string method)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/mytest"));

        Assert.Equal(method, (await Echo.ReadAsync(response)).Method);
    }

    [Fact]
    public async Task Forwards_multi_valued_headers()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.TryAddWithoutValidation("X-Multi", ["one", "two"]);
        request.Headers.Accept.ParseAdd("text/plain");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await env.Caller.SendAsync(request);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal("one, two", string.Join(", ", echo.Headers["X-Multi"]));
        Assert.Equal("text/plain, application/json", string.Join(", ", echo.Headers["Accept"]));
    }

    [Fact]
    public async Task Never_forwards_hop_by_hop_headers_nor_those_connection_names()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, """
            GET /mytest HTTP/1.1
            Host: proxy.example
            Connection: keep-alive, X-Hop
            X-Hop: secret
            Keep-Alive: timeout=5
            Proxy-Connection: keep-alive
            Proxy-Authorization: Basic dXNlcjpwYXNz
            TE: trailers
            Trailer: X-Trailer
            X-End-To-End: kept
            """);

        Assert.Contains("\"x-end-to-end\":[\"kept\"]", raw, StringComparison.OrdinalIgnoreCase);
        foreach (var name in new[] { "X-Hop", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer" })
        {
            Assert.DoesNotContain($"\"{name}\":", raw, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Sends_the_functions_host_whatever_host_the_caller_names()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, """
            GET http://attacker.example:9999/mytest/x?y=1 HTTP/1.1
            Host: attacker.example:9999
            """);

        Assert.StartsWith("HTTP/1.1 200", raw, StringComparison.Ordinal);
        Assert.Contains($"\"host\":[\"127.0.0.1:{env.Function.Port}\"]", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/api/echo/x?y=1", Assert.Single(env.Function.ReceivedTargets));
    }

    [Fact]
    public async Task Configured_key_replaces_the_callers_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.ClientId = "configured").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("x-functions-key", "callers-key");
        request.Headers.Add("x-functions-clientid", "callers-client");

        using var response = await env.Caller.SendAsync(request);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);
        Assert.Equal(["configured"], echo.Headers["x-functions-clientid"]);
    }

    [Fact]
    public async Task Without_a_configured_key_the_callers_key_passes_through()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.ApiKey = null).StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("x-functions-key", env.Function.Key);

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sets_x_forwarded_headers_replacing_the_callers()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "forged.example");

        using var response = await env.Caller.SendAsync(request);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(["127.0.0.1"], echo.Headers["X-Forwarded-For"]);
        Assert.Equal(["http"], echo.Headers["X-Forwarded-Proto"]);
        Assert.Equal([$"127.0.0.1:{env.Port}"], echo.Headers["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task X_forwarded_headers_can_be_turned_off()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.AddXForwardedHeaders = false).StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("X-Forwarded-For", "10.1.2.3");

        using var response = await env.Caller.SendAsync(request);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(["10.1.2.3"], echo.Headers["X-Forwarded-For"]);
        Assert.False(echo.Headers.ContainsKey("X-Forwarded-Proto"));
    }

    [Fact]
    public async Task A_request_without_a_body_sends_none()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        var echo = await Echo.ReadAsync(response);
        Assert.False(echo.Headers.ContainsKey("Content-Length"));
        Assert.False(echo.Headers.ContainsKey("Transfer-Encoding"));
        Assert.Equal(0, echo.BodyLength);
    }

    [Fact]
    public async Task A_known_content_length_is_kept()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var content = new ByteArrayContent(new byte[777]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await env.Caller.PutAsync("/mytest", content);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(["777"], echo.Headers["Content-Length"]);
        Assert.Equal(["application/octet-stream"], echo.Headers["Content-Type"]);
        Assert.False(echo.Headers.ContainsKey("Transfer-Encoding"));
        Assert.Equal(777, echo.BodyLength);
    }

    [Fact]
    public async Task A_chunked_body_stays_chunked_with_AsSent()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.RequestBodyFraming = RequestBodyFraming.AsSent).StartAsync();
        using var content = new StreamContent(Pattern.Stream(100_000));
        content.Headers.ContentLength = null;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await env.Caller.SendAsync(request);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(["chunked"], echo.Headers["Transfer-Encoding"]);
        Assert.False(echo.Headers.ContainsKey("Content-Length"));
        Assert.Equal(Pattern.Sha256(100_000), echo.BodySha256);
    }

    [Theory]
    [InlineData(302)]
    [InlineData(404)]
    [InlineData(418)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Returns_the_status_as_is_and_never_follows_redirects(int status)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("status").StartAsync();

        using var response = await env.Caller.GetAsync($"/mytest/{status}");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("https://elsewhere.example/", response.Headers.Location?.ToString());
        Assert.Single(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_204_has_no_body()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("status").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "GET /mytest/204 HTTP/1.1\nHost: proxy.example");

        Assert.StartsWith("HTTP/1.1 204", raw, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("Transfer-Encoding", raw, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Head_returns_the_headers_without_a_body()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("download").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "HEAD /mytest/4096 HTTP/1.1\nHost: proxy.example");

        Assert.StartsWith("HTTP/1.1 200", raw, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 4096\r\n", raw, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drops_the_functions_hop_by_hop_headers_and_values_that_cannot_be_sent()
    {
        await using var function = new RawFunction("""
            HTTP/1.1 200 OK
            Connection: close, X-Hop
            X-Hop: secret
            Keep-Alive: timeout=5
            Proxy-Authenticate: Basic
            Alt-Svc: h3=":443"
            Upgrade: h2c
            X-Latin1: café
            X-Kept: kept
            Content-Length: 2

            ok
            """);
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => { o.Port = function.Port; o.ApiKey = null; }).StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "GET /mytest HTTP/1.1\nHost: proxy.example");

        Assert.StartsWith("HTTP/1.1 200", raw, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Kept: kept\r\n", raw, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nok", raw, StringComparison.Ordinal);
        foreach (var name in new[] { "X-Hop", "Keep-Alive", "Proxy-Authenticate", "Alt-Svc", "Upgrade", "X-Latin1" })
        {
            Assert.DoesNotContain($"\r\n{name}:", raw, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "ResponseHeaderDropped" && e.Text.Contains("X-Latin1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_repeated_content_length_from_the_function_is_sent_once()
    {
        await using var function = new RawFunction("""
            HTTP/1.1 200 OK
            Content-Length: 2
            Content-Length: 2

            ok
            """);
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => { o.Port = function.Port; o.ApiKey = null; }).StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "GET /mytest HTTP/1.1\nHost: proxy.example");

        Assert.StartsWith("HTTP/1.1 200", raw, StringComparison.Ordinal);
        Assert.Single(raw.Split("\r\n"), line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("\r\nContent-Length: 2\r\n", raw, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nok", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_rewritten_by_earlier_middleware_is_the_one_forwarded()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigurePipeline(app => app.Use((context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/old/deeper", out var rest))
                {
                    context.Request.Path = "/mytest" + rest;
                }

                return next(context);
            }))
            .StartAsync();

        using var response = await env.Caller.GetAsync("/old/deeper/x/y?q=1");

        Assert.Equal("/api/echo/x/y?q=1", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task A_path_base_keeps_the_callers_encoding_below_the_mount_point()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").ConfigurePipeline(app => app.UsePathBase("/gateway")).StartAsync();

        using var response = await env.SendRawPathAsync(HttpMethod.Get, "/gateway/mytest/a%20b/%c3%a9");

        Assert.Equal("/api/echo/a%20b/%c3%a9", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task Drops_a_callers_forwarded_header_when_setting_x_forwarded_headers()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("Forwarded", "for=6.6.6.6");

        using var response = await env.Caller.SendAsync(request);

        Assert.False((await Echo.ReadAsync(response)).Headers.ContainsKey("Forwarded"));
    }

    [Fact]
    public async Task Keeps_each_set_cookie_separate_and_other_end_to_end_headers()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("cookies").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "GET /mytest HTTP/1.1\nHost: proxy.example");

        Assert.Contains("\r\nSet-Cookie: a=1; Path=/\r\n", raw, StringComparison.Ordinal);
        Assert.Contains("\r\nSet-Cookie: b=2; Path=/\r\n", raw, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Custom: custom\r\n", raw, StringComparison.Ordinal);
        Assert.Contains("\r\ncookies\r\n", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/other")]
    [InlineData("/mytestx")]
    [InlineData("/my/test")]
    public async Task Requests_outside_the_mount_point_continue_down_the_pipeline(string path)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        var body = await env.Caller.GetStringAsync(path);

        Assert.Equal("pipeline", body);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_http2_callers_request_is_forwarded_with_its_path_headers_and_body()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").WithProtocols(HttpProtocols.Http2).StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest/a%20b?x=1")
        {
            Content = new StringContent("over h2"),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add("X-Custom", "h2");

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        var echo = await Echo.ReadAsync(response);
        Assert.Equal("/api/echo/a%20b?x=1", echo.Target);
        Assert.Equal(["h2"], echo.Headers["X-Custom"]);
        Assert.Equal(7, echo.BodyLength);
        Assert.DoesNotContain(echo.Headers.Keys, name => name.StartsWith(':'));
    }

    [Fact]
    public async Task Options_are_read_once_at_startup()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        env.Options.ApiKey = "changed-after-startup";
        env.Options.FunctionName = "elsewhere";

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task Handlers_added_to_the_client_builder_see_every_forwarded_request()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigureServices(builder => builder.Services.AddAzureFunctionProxy().AddHttpMessageHandler(() => new StampingHandler()))
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(["stamped"], (await Echo.ReadAsync(response)).Headers["X-Stamp"]);
    }

    private sealed class StampingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Stamp", "stamped");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
