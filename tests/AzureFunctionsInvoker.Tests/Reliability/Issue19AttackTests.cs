using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// What an adversarial review of issue 19's fixes got through, each now held: a tab browsers strip turned a root
/// mount's rewritten redirect into <c>//evil.example</c>, and a management URL whose slashes were escaped with JSON's
/// <c>\/</c> only in part passed the streamed-body scan and the check of rewritten bodies.
/// </summary>
public sealed class Issue19AttackTests
{
    [Theory]
    [InlineData("/api/answer/\t/evil.example")]
    [InlineData("/api/answer/\t\t/evil.example")]
    [InlineData("/api/answer/\t\\evil.example")]
    public async Task A_tab_browsers_strip_does_not_make_a_root_mounts_redirect_scheme_relative(string location)
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Root"] = "answer" })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/{**rest}", "Root"))
            .StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = location;
            context.Response.Headers.ContentLocation = location;
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync("/x");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        foreach (var reference in new[] { response.Headers.Location!.OriginalString, response.Content.Headers.ContentLocation!.OriginalString })
        {
            // WHATWG URL parsing removes every ASCII tab and newline before it reads the reference.
            var asBrowsersRead = reference.Replace("\t", string.Empty, StringComparison.Ordinal);
            Assert.False(asBrowsersRead.Length >= 2 && asBrowsersRead[0] is '/' or '\\' && asBrowsersRead[1] is '/' or '\\', reference);
            Assert.StartsWith("/%", asBrowsersRead, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, "A")] // the default FailureStatusCodes count 429, but 429s open A only once they have lasted a BreakDuration
    [InlineData("502,503,504", "A")] // without 429 in the list, no 429 of one caller's moves anyone
    public async Task One_callers_burst_of_429s_does_not_open_the_circuit(string? failureStatusCodes, string bystanderRegion)
    {
        var settings = new Dictionary<string, string?> { ["Backends:1:Priority"] = "2", ["FailureThreshold"] = "3" };
        foreach (var (code, i) in (failureStatusCodes?.Split(',') ?? []).Select((code, i) => (code, i)))
        {
            settings[$"FailureStatusCodes:{i}"] = code;
        }

        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(settings).StartAsync();
        env.Regions[0].Answer = context =>
        {
            if (context.Request.Headers["X-Caller"] == "greedy")
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "60";
                return Task.CompletedTask;
            }

            return context.Response.WriteAsync("A");
        };

        // Three POSTs (never retried elsewhere) in a row from the throttled caller, none of the bystander's between.
        for (var i = 0; i < 3; i++)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, "/hello") { Content = new ByteArrayContent([1]) };
            post.Headers.Add("X-Caller", "greedy");
            using var throttled = await env.Caller.SendAsync(post);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        }

        using var get = new HttpRequestMessage(HttpMethod.Get, "/hello");
        get.Headers.Add("X-Caller", "bystander");
        using var served = await env.Caller.SendAsync(get);

        Assert.Equal(bystanderRegion, StandInRegion.AnsweredBy(served));
    }

    [Theory]
    [InlineData("/mytest/_durable%EF%B8%8F/{token}")] // a variation selector after the name
    [InlineData("/mytest/_%CD%8Fdurable/{token}")] // a combining grapheme joiner inside it
    [InlineData("/mytest/_durable%E3%85%A4/{token}")] // a Hangul filler
    [InlineData("/mytest/_durable%E3%80%82/{token}")] // an ideographic full stop, a trailing dot to IIS' reading
    [InlineData("/mytest/_durable%EF%BD%A1/{token}")] // a halfwidth ideographic full stop
    [InlineData("/mytest/_durable%C2%A0/{token}")] // a no-break space, folded to a space
    [InlineData("/mytest/_durable%2e%2E/{token}")]
    [InlineData("/mytest/_durable%09/{token}")]
    [InlineData("/mytest/_durable%E2%80%8B/{token}")]
    public async Task An_invisible_or_dot_spelling_of_the_links_segment_never_reaches_the_function(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        using var start = await env.Caller.PostAsync("/mytest/hello", null);
        var status = start.Headers.Location!.OriginalString;
        var token = status[(status.LastIndexOf('/') + 1)..];
        var before = env.Function.ReceivedTargets.Count(t => t.StartsWith("/api/", StringComparison.Ordinal));

        using var response = await env.SendRawPathAsync(HttpMethod.Get, template.Replace("{token}", token, StringComparison.Ordinal));

        Assert.Equal(before, env.Function.ReceivedTargets.Count(t => t.StartsWith("/api/", StringComparison.Ordinal)));
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_function_serving_byte_ranges_hands_no_key_out_once_Range_is_removed()
    {
        // A 206 whose range the caller starts past "/runtime/w" holds the key without the path the scan looks for (a
        // documented leak path); with Range removed the function answers the whole body, and the scan cuts it.
        await using var env = await new ProxyHostBuilder().MountFunction("answer", options => options.RemoveRequestHeaders = ["Range"]).StartAsync();
        var url = env.Function.Origin + "/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY";
        var full = Encoding.UTF8.GetBytes(new string('x', 100_000) + " " + url + " end");
        var from = 100_001 + url.IndexOf("/runtime", StringComparison.Ordinal) + 10;
        env.Function.Answer = context =>
        {
            var range = context.Request.Headers.Range.ToString();
            var start = range.Length == 0 ? 0 : int.Parse(range["bytes=".Length..].TrimEnd('-'), CultureInfo.InvariantCulture);
            context.Response.StatusCode = start == 0 ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
            context.Response.ContentType = "text/plain";
            return context.Response.Body.WriteAsync(full.AsMemory(start)).AsTask();
        };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Range = new RangeHeaderValue(from, null);
        var (status, received) = await ReadWhatArrivesAsync(env, request);

        Assert.NotEqual(HttpStatusCode.PartialContent, status);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Theory]
    [InlineData("utf-8")] // a charset written into the wrong header
    [InlineData("x-unknown")]
    [InlineData("gzip")] // stored blocks: gzip's bytes are the body's
    public async Task A_body_whose_content_coding_leaves_its_bytes_readable_is_scanned(string coding)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var text = Encoding.UTF8.GetBytes(
            new string('x', 20_000) + " " + env.Function.Origin + "/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY end");
        var body = text;
        if (coding == "gzip")
        {
            using var stored = new MemoryStream();
            using (var gzip = new GZipStream(stored, CompressionLevel.NoCompression))
            {
                gzip.Write(text);
            }

            body = stored.ToArray();
        }

        env.Function.Answer = async context =>
        {
            context.Response.ContentType = "text/plain";
            context.Response.Headers.ContentEncoding = coding;
            await context.Response.Body.WriteAsync(body.AsMemory(0, 1000));
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(body.AsMemory(1000));
        };

        var (_, received) = await ReadWhatArrivesAsync(env);

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.True(received.Length < body.Length);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Theory]
    [InlineData("Location", "http://localhost:7071/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY")] // another name of the host
    [InlineData("Location", "{otherScheme}/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY")]
    [InlineData("Location", "http://user@{authority}/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY")]
    [InlineData("Content-Location", "https://custom.example/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY")]
    public async Task A_management_url_the_rewriter_leaves_in_a_location_header_gets_502(string header, string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var origin = new Uri(env.Function.Origin);
        var value = template.Replace("{otherScheme}", (origin.Scheme == "https" ? "http://" : "https://") + origin.Authority, StringComparison.Ordinal)
            .Replace("{authority}", origin.Authority, StringComparison.Ordinal);
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.Headers[header] = value;
            return context.Response.WriteAsync("accepted");
        };

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", response.Headers.ToString() + response.Content.Headers + await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Theory]
    [InlineData("""\/runtime/webhooks\/durabletask""")]
    [InlineData("""\/runtime\/webhooks/durabletask""")]
    [InlineData("""/RUNTIME\/WebHooks/durabletask""")]
    public void A_webhook_path_with_only_some_slashes_escaped_is_found(string path)
    {
        var bytes = Encoding.UTF8.GetBytes("""{"filler":"0123456789abcdefghijklmnopqrstuvwxyz0123456789","u":"https:\/\/app""" + path + """\/instances\/x?code=K"}""");
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }

    [Fact]
    public async Task A_streamed_body_with_a_partly_escaped_management_url_never_hands_out_the_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var origin = env.Function.Origin.Replace("/", "\\/", StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes(
            $$"""{"filler":"{{new string('x', 70_000)}}","u":"{{origin}}\/runtime/webhooks\/durabletask\/instances\/abc?code=SYSTEMKEY"}""");
        env.Function.Answer = FramedAnswer.Of(body);

        var (_, received) = await ReadWhatArrivesAsync(env);

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.True(received.Length < body.Length);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Fact]
    public async Task A_small_json_body_with_a_partly_escaped_management_url_on_another_host_gets_502()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes(
            """{"u":"http:\/\/localhost\/runtime\/webhooks/durabletask\/instances\/abc?code=SYSTEMKEY","self":"{origin}/api/answer"}"""
                .Replace("{origin}", env.Function.Origin, StringComparison.Ordinal));
        env.Function.Answer = FramedAnswer.Of(body);

        var (status, received) = await ReadWhatArrivesAsync(env);

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
    }

    // The status and every byte that arrived before the body ended or the connection was cut (no status when the cut
    // came first: a reset can discard what the caller had not yet read).
    private static async Task<(HttpStatusCode? Status, string Received)> ReadWhatArrivesAsync(ProxyTestHost env, HttpRequestMessage? request = null)
    {
        HttpStatusCode? status = null;
        var received = new MemoryStream();
        try
        {
            using var response = await env.Caller.SendAsync(request ?? new HttpRequestMessage(HttpMethod.Get, "/mytest"), HttpCompletionOption.ResponseHeadersRead);
            status = response.StatusCode;
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.CopyToAsync(received);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // Cut: what arrived before is what the caller has.
        }

        return (status, Encoding.UTF8.GetString(received.ToArray()));
    }
}
