using System.Net;
using System.Security.Cryptography;
using System.Text;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// No management URL leaves in a body the buffered rewriter does not take (over 64 KiB, chunked without a Durable
/// <c>Location</c>, not JSON, not 2xx), whatever its framing: the body is scanned as it streams, and a read holding
/// Durable's webhook path is not written. Nothing sent yet: 502; else the caller's connection is cut. Either way the
/// system key never arrives, and the cut is logged once naming the function.
/// </summary>
public sealed class StreamedKeyLeakTests
{
    private const string Management = "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&connection=Storage&code=SYSTEMKEY";

    // The same, its slashes and letters escaped and percent-encoded as JSON and URLs allow.
    private const string EscapedManagement = """\u002Fruntime%252Fwebhooks\/durable%74as\u006B/instances/abc?code=SYSTEMKEY""";

    [Fact]
    public async Task A_list_of_900_instances_over_64_KiB_never_hands_out_the_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var instances = Enumerable.Range(0, 900).Select(i =>
            $$"""{"id":"{{i}}","statusQueryGetUri":"{{env.Function.Origin}}/runtime/webhooks/durabletask/instances/{{i}}?code=SYSTEMKEY"}""");
        var body = Encoding.UTF8.GetBytes("[" + string.Join(',', instances) + "]");
        Assert.True(body.Length > 64 * 1024);
        env.Function.Answer = FramedAnswer.Of(body);

        var (status, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        var cut = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
        Assert.Contains("Durable Task management URL", cut.Text, StringComparison.Ordinal);
        Assert.Contains("answer", cut.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCodes.Status200OK, "application/json", "{origin}" + Management)] // chunked, no Durable Location
    [InlineData(StatusCodes.Status200OK, "text/plain", "{origin}" + Management)]
    [InlineData(StatusCodes.Status500InternalServerError, "application/json", "{origin}" + Management)]
    [InlineData(StatusCodes.Status200OK, "application/problem+json", "{origin}" + Management)]
    [InlineData(StatusCodes.Status200OK, "application/json", """{escapedOrigin}\/RUNTIME\/Webhooks\/DurableTask\/instances\/abc?code=SYSTEMKEY""")]
    [InlineData(StatusCodes.Status200OK, "text/html", "http://localhost/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY")] // another name of the host
    public async Task A_management_url_after_bytes_already_sent_cuts_the_response_before_it(int status, string contentType, string url)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var spelled = url.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal)
            .Replace("{escapedOrigin}", env.Function.Origin.Replace("/", "\\/", StringComparison.Ordinal), StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes($$"""{"filler":"{{new string('x', 20_000)}}","url":"{{spelled}}"}""");
        env.Function.Answer = context => WriteInTwoAsync(context, body, status, contentType, 20_000);

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.True(received.Length < body.Length);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
    }

    [Theory]
    [InlineData(Management, 1)]
    [InlineData(Management, 5)]
    [InlineData(Management, 17)]
    [InlineData(Management, 30)]
    [InlineData(EscapedManagement, 1)] // within the first escape
    [InlineData(EscapedManagement, 3)]
    [InlineData(EscapedManagement, 8)]
    [InlineData(EscapedManagement, 17)] // within a twice-encoded slash
    [InlineData(EscapedManagement, 36)] // within an encoded letter
    [InlineData(EscapedManagement, 43)] // within the last escape
    public async Task A_path_split_across_two_reads_is_found(string path, int splitAt)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var url = env.Function.Origin + path;
        var at = env.Function.Origin.Length + splitAt;
        env.Function.Answer = async context =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("before " + url[..at]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(50); // the proxy reads the first piece on its own
            await context.Response.WriteAsync(url[at..] + " after");
        };

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain(" after", received, StringComparison.Ordinal);
    }

    // What a reflecting function could hand back with the key, the path spelled as JSON and URLs allow: a JSON escape for
    // any character, percent-encoding (a management URL carried in another URL's query, once or twice), the percent sign
    // itself escaped, every letter escaped in upper-case hex.
    public static TheoryData<string> EscapedSpellings => new()
    {
        """{origin}/runtime/webhooks/durable\u0074ask/instances/abc?code=SYSTEMKEY""",
        """{origin}\u002fruntime\u002fwebhooks\u002fdurabletask/instances/abc?code=SYSTEMKEY""",
        """https://login.example/?next=https%3A%2F%2Fapp.example%2Fruntime%2Fwebhooks%2Fdurabletask%2Finstances%2Fabc%3Fcode%3DSYSTEMKEY""",
        """{origin}/runtime/webhooks/%64urabletask/instances/abc?code=SYSTEMKEY""",
        """https://login.example/?next=https%253A%252F%252Fapp.example%252Fruntime%252Fwebhooks%252Fdurabletask%252Finstances%252Fabc%253Fcode%253DSYSTEMKEY""",
        """{origin}\u00252Fruntime\u00252Fwebhooks\u00252Fdurabletask/instances/abc?code=SYSTEMKEY""",
        """{origin}/runtime/webhooks/\u0044\u0075\u0072\u0061\u0062\u006C\u0065\u0074\u0061\u0073\u006B/instances/abc?code=SYSTEMKEY""",
        """{origin}%2FRUNTIME%2Fwebhooks%2F%44%55%52%41%42%4C%45%54%41%53%4B%2Finstances%2Fabc%3Fcode%3DSYSTEMKEY""",
    };

    [Theory]
    [MemberData(nameof(EscapedSpellings))]
    public async Task A_management_url_spelled_with_escapes_or_percent_encoding_is_cut_before_it(string url)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes($$"""{"filler":"{{new string('x', 20_000)}}","url":"{{url.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal)}}"}""");
        env.Function.Answer = context => WriteInTwoAsync(context, body, StatusCodes.Status200OK, "application/json", 20_000);

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.True(received.Length < body.Length);
        var cut = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
        Assert.Contains("answer", cut.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EscapedSpellings))]
    public async Task A_list_over_64_KiB_of_urls_spelled_with_escapes_gets_502_before_anything_is_sent(string url)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var spelled = url.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Range(0, 900).Select(i => $$"""{"id":"{{i}}","uri":"{{spelled}}"}""")) + "]");
        Assert.True(body.Length > 64 * 1024);
        env.Function.Answer = FramedAnswer.Of(body);

        var (status, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":"https://elsewhere.example/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY","b":"{origin}/api/answer"}""")]
    [InlineData("""{"key-as-name {origin}/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY":1}""")]
    [InlineData("""{"text":"see {origin}/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY"}""")]
    [InlineData("""{"relative":"/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY"}""")]
    [InlineData("""{"link":"{origin}/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY","user":"http://u@127.0.0.1/runtime/webhooks/durabletask/instances/x?code=SYSTEMKEY"}""")]
    public async Task A_small_json_body_naming_a_management_url_the_rewriter_does_not_take_gets_502(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes(template.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal));
        env.Function.Answer = FramedAnswer.Of(body);

        var (status, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_body_without_the_webhook_path_streams_through_untouched()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("see /runtime/webhooks/other and /api/runtime/durable task ", 40_000)));
        env.Function.Answer = context => WriteInTwoAsync(context, body, StatusCodes.Status200OK, "text/plain", 1000);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Without_Durable_links_nothing_is_scanned()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer", options => options.DurableLinksPath = string.Empty).StartAsync();
        var body = Encoding.UTF8.GetBytes(env.Function.Origin + Management);
        env.Function.Answer = context => WriteInTwoAsync(context, body, StatusCodes.Status200OK, "text/plain", 10);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    // Chunked, in two pieces: the proxy sends the first on before the rest arrives.
    private static async Task WriteInTwoAsync(HttpContext context, byte[] body, int status, string contentType, int firstPiece)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(body.AsMemory(0, firstPiece));
        await context.Response.Body.FlushAsync();
        await Task.Delay(50);
        await context.Response.Body.WriteAsync(body.AsMemory(firstPiece));
    }
}
