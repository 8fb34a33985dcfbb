using System.Net;
using System.Security.Cryptography;
using System.Text;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// The streamed scan whatever the framing a function chooses: an event stream whose events split a management URL
/// (the key never arrives, the stream is cut), an HTTP/2 caller (its stream reset before the URL), and bodies full of
/// what the scan stops at without naming the path (streamed whole, byte for byte).
/// </summary>
public sealed class StreamedScanFramingTests
{
    private const string Management = "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&code=SYSTEMKEY";

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(20)]
    [InlineData(29)]
    public async Task An_event_stream_whose_events_split_a_management_url_is_cut_before_its_key(int splitAt)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var url = env.Function.Origin.Replace("/", "\\/", StringComparison.Ordinal) + "\\/runtime\\/webhooks\\/durable\\u0074ask\\/instances\\/abc?code=SYSTEMKEY";
        var at = url.IndexOf("\\/runtime", StringComparison.Ordinal) + splitAt;
        env.Function.Answer = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 0; i < 20; i++)
            {
                await context.Response.WriteAsync($"event: progress\ndata: {{\"step\":{i}}}\n\n");
                await context.Response.Body.FlushAsync();
            }

            // The URL in two events' data, each flushed on its own.
            await context.Response.WriteAsync($"data: {{\"u\":\"{url[..at]}");
            await context.Response.Body.FlushAsync();
            await Task.Delay(20);
            await context.Response.WriteAsync($"{url[at..]}\"}}\n\ndata: after\n\n");
        };

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.Contains("\"step\":19", received, StringComparison.Ordinal);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain("after", received, StringComparison.Ordinal);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Fact]
    public async Task An_http2_callers_stream_is_reset_before_a_management_url_in_a_large_body_and_other_bodies_pass_whole()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").WithProtocols(HttpProtocols.Http2).StartAsync();
        using var caller = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{env.Port}"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var filler = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"id\":\"x\",\"href\":\"/api/answer/x\"},", 4000)));
        var leaking = Encoding.UTF8.GetBytes("[" + Encoding.UTF8.GetString(filler) + $"{{\"u\":\"{env.Function.Origin}{Management}\"}}]");
        var plain = Encoding.UTF8.GetBytes("[" + Encoding.UTF8.GetString(filler) + "{\"u\":\"durabletask 100% %64\"}]");
        var body = leaking;
        env.Function.Answer = async context =>
        {
            // Many small writes, so the URL comes in a late read after many DATA frames were sent.
            context.Response.ContentType = "application/json";
            for (var at = 0; at < body.Length; at += 1000)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(at, Math.Min(1000, body.Length - at)));
                await context.Response.Body.FlushAsync();
            }
        };

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(caller, "/mytest");
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.True(received.Length < leaking.Length);

        body = plain;
        using var response = await caller.GetAsync("/mytest");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(SHA256.HashData(plain), SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task A_mebibyte_of_text_full_of_percent_signs_escapes_and_durabletask_streams_whole()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var unit = """45% 55% %64 %6B %4b \u0064 \u0074 \\u0074 durabletask /runtime/ /webhooks/ runtime%2Fwebhooks%2Fdurable %2Fruntime%2Fwebhooks%2F%2Fdurabletask """;
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(unit, (1024 * 1024 / unit.Length) + 1)));
        env.Function.Answer = async context =>
        {
            context.Response.ContentType = "text/plain";
            for (var at = 0; at < body.Length; at += 4099)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(at, Math.Min(4099, body.Length - at)));
            }
        };

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }
}
