using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// <c>HttpVersion: 2</c> over real sockets: to an h2c stand-in (HTTP/2 with prior knowledge, <c>Https: false</c>), to a
/// TLS stand-in that agrees on HTTP/2 with ALPN, and to one that offers only HTTP/1.1 (the fallback), each counting the
/// connections it is given.
/// </summary>
public sealed class Http2TransportTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Over_h2c_the_method_path_query_headers_and_bodies_go_both_ways()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(EchoAsync, HttpProtocols.Http2);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o =>
            {
                o.Port = function.Port;
                o.HttpVersion = "2";
            })
            .StartAsync();

        await AssertEchoedAsync(env);
        Assert.All(function.Protocols, p => Assert.Equal("HTTP/2", p));
    }

    [Fact]
    public async Task Over_TLS_HTTP2_is_agreed_with_ALPN_and_carries_the_exchange()
    {
        using var certificate = Loopback.SelfSignedCertificate();
        await using var function = await ConnectionCountingFunction.StartAsync(EchoAsync, HttpProtocols.Http1AndHttp2, certificate);
        await using var env = await StartOverTlsAsync(function);

        await AssertEchoedAsync(env);
        Assert.All(function.Protocols, p => Assert.Equal("HTTP/2", p));
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "Http2FallBack");
    }

    [Fact]
    public async Task A_TLS_function_without_HTTP2_is_called_over_HTTP11_and_the_fallback_is_logged_once()
    {
        using var certificate = Loopback.SelfSignedCertificate();
        await using var function = await ConnectionCountingFunction.StartAsync(EchoAsync, HttpProtocols.Http1, certificate);
        await using var env = await StartOverTlsAsync(function);

        for (var i = 0; i < 3; i++)
        {
            await AssertEchoedAsync(env);
        }

        Assert.All(function.Protocols, p => Assert.Equal("HTTP/1.1", p));
        var fallback = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Http2FallBack");
        Assert.Contains($"127.0.0.1:{function.Port}", fallback.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_sent_events_arrive_one_by_one_over_HTTP2()
    {
        var next = new TaskCompletionSource();
        await using var function = await ConnectionCountingFunction.StartAsync(
            async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: one\n\n");
                await context.Response.Body.FlushAsync();
                await next.Task;
                await context.Response.WriteAsync("data: two\n\n");
            },
            HttpProtocols.Http2);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("events", o =>
            {
                o.Port = function.Port;
                o.HttpVersion = "2";
            })
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The first event arrives while the function still holds the second back.
        Assert.Equal("data: one", await reader.ReadLineAsync().WaitAsync(s_bound));
        Assert.Equal(string.Empty, await reader.ReadLineAsync().WaitAsync(s_bound));
        next.SetResult();
        Assert.Equal("data: two", await reader.ReadLineAsync().WaitAsync(s_bound));
        Assert.Equal("HTTP/2", Assert.Single(function.Protocols));
    }

    [Fact]
    public async Task Five_hundred_concurrent_requests_share_a_few_HTTP2_connections()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(
            async context =>
            {
                await Task.Delay(300);
                await context.Response.WriteAsync("ok");
            },
            HttpProtocols.Http2);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.HttpVersion = "2";
            })
            .StartAsync();
        using var open = new MetricCollector<long>(env.Services.GetRequiredService<IMeterFactory>(), "AzureFunctionsInvoker", "azurefunctionsinvoker.open_connections");

        var responses = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => env.Caller.GetAsync("/mytest")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(500, function.Protocols.Count);

        // 100 streams per connection (Kestrel's default, as App Service's): at least 5 connections, and a few more at most.
        Assert.InRange(function.ConnectionsMade, 5, 12);
        Assert.All(open.GetMeasurementSnapshot(), m => Assert.Equal("2", m.Tags["network.protocol.version"]));
        Assert.Equal(function.ConnectionsMade, open.GetMeasurementSnapshot().Count(m => m.Value > 0));
    }

    [Fact]
    public async Task A_backend_entry_can_speak_HTTP2_where_the_function_speaks_HTTP11()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(EchoAsync, HttpProtocols.Http2);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => o.Backends = [new() { AppName = "127.0.0.1", Port = function.Port, HttpVersion = "2" }])
            .StartAsync();

        await AssertEchoedAsync(env);
        Assert.All(function.Protocols, p => Assert.Equal("HTTP/2", p));
    }

    [Fact]
    public async Task A_budget_of_one_HTTP2_connection_holds_and_its_streams_carry_every_request()
    {
        await using var function = await ConnectionCountingFunction.StartAsync(
            async context =>
            {
                await Task.Delay(200);
                await context.Response.WriteAsync("ok");
            },
            HttpProtocols.Http2,
            maxStreamsPerConnection: 10);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("slow", o =>
            {
                o.Port = function.Port;
                o.HttpVersion = "2";
                o.MaxConnectionsPerBackend = 1;
            })
            .StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => env.Caller.GetAsync("/mytest")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, function.ConnectionsMade);
    }

    // The proxy asking the TLS stand-in for HTTP/2, its self-signed certificate accepted.
    private static Task<ProxyTestHost> StartOverTlsAsync(ConnectionCountingFunction function) =>
        new ProxyHostBuilder()
            .MountFunction("echo", o =>
            {
                o.Port = function.Port;
                o.Https = true;
                o.HttpsVerify = false;
                o.HttpVersion = "2";
            })
            .StartAsync();

    private static async Task AssertEchoedAsync(ProxyTestHost env)
    {
        var body = RandomNumberGenerator.GetBytes(200_000);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/mytest/a/b%20c?x=1&y=%2F") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-Test", "forwarded");

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", Assert.Single(response.Headers.GetValues("X-Method")));
        Assert.Equal("/api/echo/a/b%20c?x=1&y=%2F", Assert.Single(response.Headers.GetValues("X-Target")));
        Assert.Equal("forwarded", Assert.Single(response.Headers.GetValues("X-Got")));
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    // Answers with what reached it: the method, the request target and a header, and the body back.
    private static async Task EchoAsync(HttpContext context)
    {
        var feature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!;
        context.Response.Headers["X-Method"] = context.Request.Method;
        context.Response.Headers["X-Target"] = feature.RawTarget;
        context.Response.Headers["X-Got"] = context.Request.Headers["X-Test"];
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body.ToArray());
    }
}
