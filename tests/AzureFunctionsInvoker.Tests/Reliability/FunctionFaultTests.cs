using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Collections.Concurrent;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// A function that is not there, not trusted, not HTTP, slow at any step or dying mid-answer: the caller gets 502
/// or 504 before the response started, an aborted connection after, and never a body that looks complete.
/// </summary>
public sealed class FunctionFaultTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    // RST_STREAM error codes (RFC 9113 section 7).
    private const long Http2InternalError = 0x2;
    private const long Http2Cancel = 0x8;

    [Fact]
    public async Task A_refused_connection_gets_502_with_a_problem_body()
    {
        var closedPort = Loopback.ClosedPort();
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = closedPort).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"title":"Bad Gateway","status":502,"detail":"The function could not be reached."}""", body);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable" && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task An_untrusted_certificate_gets_502_while_https_verify_is_on()
    {
        using var certificate = Loopback.SelfSignedCertificate();
        await using var env = await new ProxyHostBuilder().MountFunction("echo").WithStandInCertificate(certificate).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_accepted_with_https_verify_off()
    {
        using var certificate = Loopback.SelfSignedCertificate();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => o.HttpsVerify = false)
            .WithStandInCertificate(certificate)
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest/x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo/x", Assert.Single(env.Function.ReceivedTargets));
    }

    [Fact]
    public async Task A_connect_that_does_not_complete_within_timeout_gets_504()
    {
        using var unanswered = new UnansweredListener();
        Assert.True(await unanswered.ConnectHangsAsync(TimeSpan.FromMilliseconds(300)), "connects to the full backlog must hang");
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => o.Port = unanswered.Port)
            .ConfigureServices(clock.UseIn)
            .StartAsync();

        var sending = env.Caller.GetAsync("/mytest");
        await clock.WhenArmedAsync().WaitAsync(s_bound); // the proxy is timing its connect
        clock.Advance(TimeSpan.FromMilliseconds(env.Options.Timeout));
        using var response = await sending.WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"status\":504", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionTimedOut");
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable");
    }

    // The connect step has two clocks of one length: the request's Timeout on the app's clock, and the connection
    // handler's ConnectTimeout (the same Timeout, on real time, from the connection attempt's start). The fake clock never
    // moves here, so the handler's gives up first, as it does now and then under load on real time: still a Timeout.
    [Fact]
    public async Task A_connect_that_the_handlers_connect_timeout_gives_up_first_gets_504_not_502()
    {
        using var unanswered = new UnansweredListener();
        Assert.True(await unanswered.ConnectHangsAsync(TimeSpan.FromMilliseconds(300)), "connects to the full backlog must hang");
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o =>
            {
                o.Port = unanswered.Port;
                o.Timeout = 300;
            })
            .ConfigureServices(clock.UseIn)
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest").WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionTimedOut");
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable");
    }

    [Fact]
    public async Task A_function_that_sends_no_headers_within_timeout_gets_504_and_its_call_is_cancelled()
    {
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder().MountFunction("hang").ConfigureServices(clock.UseIn).StartAsync();

        using var response = await clock.ExpireOnArrivalAsync(env.Caller.GetAsync("/mytest"), env);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"status\":504", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
    }

    // The clock moves once the function has sent its headers: whether the proxy still waits on them or already on
    // the first body byte, that wait ends in a 504 (FunctionForwarderTests times the body's wait alone).
    [Fact]
    public async Task A_function_that_stalls_after_its_headers_before_any_body_gets_504()
    {
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder().MountFunction("stall-after-headers").ConfigureServices(clock.UseIn).StartAsync();

        using var response = await clock.ExpireOnArrivalAsync(env.Caller.GetAsync("/mytest"), env);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
    }

    [Fact]
    public async Task A_function_that_stalls_between_body_reads_beyond_timeout_aborts_the_callers_connection()
    {
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder().MountFunction("lockstep-download").ConfigureServices(clock.UseIn).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(s_bound);
        // The proxy stopped timing to write those bytes to the caller; its next read from the function is timed again.
        await clock.WhenArmedAsync().WaitAsync(s_bound);
        clock.Advance(TimeSpan.FromMilliseconds(env.Options.Timeout));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionTimedOut");
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.6\n\n")]
    [InlineData("\0\0\0\0\0\0\0\0\n\n")]
    [InlineData("HTTP/1.1 2000 OK\nContent-Length: 0\n\n")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: nope\n\n")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 6\n\nhello!")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 5, 6\n\nhello!")]
    [InlineData("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\nnot a chunk\n")]
    public async Task Something_that_is_not_http_gets_502(string garbage)
    {
        await using var function = new RawFunction(garbage);
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = function.Port).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest").WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Single(function.Received);
    }

    // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, and the Content-Length must not be passed on.
    [Fact]
    public async Task A_response_framed_both_ways_is_read_as_chunked_and_forwarded_without_its_content_length()
    {
        await using var function = new RawFunction("HTTP/1.1 200 OK\nContent-Length: 5\nTransfer-Encoding: chunked\n\na\n0123456789\n0\n\n");
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = function.Port).StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, "GET /mytest HTTP/1.1\nHost: proxy.example");

        Assert.Equal([200], RawHttp.Statuses(raw));
        Assert.DoesNotContain("Content-Length: 5", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0123456789", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1000L)]
    [InlineData("?chunked", null)]
    public async Task A_response_cut_off_mid_body_aborts_the_callers_connection(string query, long? contentLength)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("truncate").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest" + query, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[100]).AsTask().WaitAsync(s_bound);
        env.Function.Proceed.SetResult();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentLength, response.Content.Headers.ContentLength);
        await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));
        await env.Logs.WaitForAsync("ResponseBodyFailed", s_bound);
    }

    [Fact]
    public async Task A_function_that_dies_after_its_headers_but_before_any_body_gets_502()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("die").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"status\":502", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_function_that_refuses_before_reading_a_large_expect_100_continue_body_is_answered_at_once_without_it()
    {
        const long size = 256L * 1024 * 1024;
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => (o.ApiKey, o.MaxRequestBodySize) = ("wrong-key", null))
            .StartAsync();
        var bodyRequested = false;
        using var content = new PushContent(async stream =>
        {
            bodyRequested = true;
            await Pattern.Stream(size).CopyToAsync(stream);
        });
        content.Headers.ContentLength = size;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest") { Content = content };
        request.Headers.ExpectContinue = true;

        using var response = await env.Caller.SendAsync(request).WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(bodyRequested, "the caller was asked for the body the function refused");
        // The caller's connection is still usable: nothing of the refused body is left in it.
        using var next = await env.Caller.GetAsync("/other").WaitAsync(s_bound);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task An_http2_callers_stream_is_cancelled_when_the_function_stalls_mid_body_and_its_connection_serves_the_next_request()
    {
        var connections = new ConcurrentQueue<string>();
        await using var env = await Http2Environment("lockstep-download", connections, o => o.Timeout = 1000);
        await env.WarmUpAsync("/mytest?warm");

        // The function holds the rest of its body back beyond Timeout.
        await AssertStreamResetAsync(env, bodyBytesSent: 1024, then: () => { }, Http2Cancel);

        Assert.Equal("pipeline", await env.Caller.GetStringAsync("/other").WaitAsync(s_bound));
        Assert.Single(connections.Distinct());
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionTimedOut");
    }

    [Fact]
    public async Task An_http2_callers_stream_is_reset_as_an_internal_error_when_the_functions_body_is_cut_off_and_its_connection_serves_the_next_request()
    {
        var connections = new ConcurrentQueue<string>();
        await using var env = await Http2Environment("truncate", connections);

        await AssertStreamResetAsync(env, bodyBytesSent: 100, then: env.Function.Proceed.SetResult, Http2InternalError);

        Assert.Equal("pipeline", await env.Caller.GetStringAsync("/other").WaitAsync(s_bound));
        Assert.Single(connections.Distinct());
        await env.Logs.WaitForAsync("ResponseBodyFailed", s_bound);
    }

    // A proxy speaking HTTP/2 to its caller (h2c with prior knowledge), recording the caller's connection of each request.
    private static async Task<ProxyTestHost> Http2Environment(string function, ConcurrentQueue<string> connections, Action<AzureFunctionProxyOptions>? configure = null)
    {
        var env = await new ProxyHostBuilder()
            .MountFunction(function, configure)
            .WithProtocols(HttpProtocols.Http2)
            .ConfigurePipeline(app => app.Use((context, next) =>
            {
                connections.Enqueue(context.Connection.Id);
                return next(context);
            }))
            .StartAsync();
        env.Caller.DefaultRequestVersion = HttpVersion.Version20;
        env.Caller.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return env;
    }

    // Once the caller has the first bytes, so the response has started, then() makes the function
    // fail; the caller learns of it from an RST_STREAM with the expected code.
    private static async Task AssertStreamResetAsync(ProxyTestHost env, int bodyBytesSent, Action then, long expected)
    {
        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_bound);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[bodyBytesSent]).AsTask().WaitAsync(s_bound);
        then();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reset = await Assert.ThrowsAsync<HttpProtocolException>(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));
        Assert.Equal(expected, reset.ErrorCode);
    }
}
