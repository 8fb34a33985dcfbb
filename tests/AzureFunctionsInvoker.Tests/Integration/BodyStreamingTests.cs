using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>Bodies stream through in both directions, whole and unbuffered, and the size limit holds.</summary>
public sealed class BodyStreamingTests
{
    private const long FiftyMiB = 50L * 1024 * 1024;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Uploads_50_MiB_intact()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var content = new StreamContent(Pattern.Stream(FiftyMiB));
        content.Headers.ContentLength = FiftyMiB;

        using var response = await env.Caller.PostAsync("/mytest", content);

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(FiftyMiB, echo.BodyLength);
        Assert.Equal(Pattern.Sha256(FiftyMiB), echo.BodySha256);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?chunked")]
    public async Task Downloads_50_MiB_intact(string query)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("download").StartAsync();

        using var response = await env.Caller.GetAsync($"/mytest/{FiftyMiB}{query}", HttpCompletionOption.ResponseHeadersRead);
        var (length, sha256) = await HashAsync(await response.Content.ReadAsStreamAsync());

        Assert.Equal(FiftyMiB, length);
        Assert.Equal(Pattern.Sha256(FiftyMiB), sha256);
    }

    [Fact]
    public async Task The_function_reads_the_upload_before_the_caller_has_finished_sending_it()
    {
        // A chunked body streams as it arrives only as sent: by default it is read whole first, for its length.
        await using var env = await new ProxyHostBuilder()
            .MountFunction("lockstep-upload", o => o.RequestBodyFraming = RequestBodyFraming.AsSent)
            .StartAsync();
        using var content = new PushContent(async stream =>
        {
            await stream.WriteAsync(new byte[1024]);
            await stream.FlushAsync();
            // Only a proxy that streams can deliver the first chunk while the body is still open.
            await env.Function.Arrived.Task.WaitAsync(s_bound);
            await stream.WriteAsync(new byte[1024]);
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest") { Content = content };

        using var response = await env.Caller.SendAsync(request).WaitAsync(s_bound);

        Assert.Equal("2048", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the proxy turns the app's response buffering off, or an event stream would wait for its end
    public async Task The_caller_reads_the_download_before_the_function_has_finished_sending_it(bool behindResponseBuffering)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("lockstep-download")
            .ConfigurePipeline(app => _ = behindResponseBuffering ? BufferingResponseBody.Use(app) : app)
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_bound);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[1024];
        // Only a proxy that streams delivers these bytes while the function still holds back the rest.
        await body.ReadExactlyAsync(first).AsTask().WaitAsync(s_bound);
        env.Function.Proceed.SetResult();
        var (rest, _) = await HashAsync(body).WaitAsync(s_bound);

        Assert.Equal(1024, rest);
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_gets_413_and_never_reaches_the_function()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.MaxRequestBodySize = 1000).StartAsync();

        using var response = await env.Caller.PostAsync("/mytest", new ByteArrayContent(new byte[1001]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_gets_413()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.MaxRequestBodySize = 100_000).StartAsync();

        // Over the limit by a fifth, sent by hand with no last chunk, and nothing more: every byte is out before the
        // proxy reads past its limit, so it reads them all and closes cleanly after its 413. An HttpClient streaming
        // more of the body raced that close, and under load its write to the closed socket failed first.
        const int sent = 120_000;
        var request =
            "POST /mytest HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
            $"{sent:x}\r\n" + new string('x', sent) + "\r\n";

        var response = await RawHttp.SendExactAsync(env.Port, request);

        Assert.Equal([413], RawHttp.Statuses(response));
    }

    [Fact]
    public async Task The_default_limit_lifts_kestrels_30_MB_default_to_100_MiB()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        const long size = 40L * 1024 * 1024;
        using var content = new StreamContent(Pattern.Stream(size));
        content.Headers.ContentLength = size;

        using var response = await env.Caller.PostAsync("/mytest", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, (await Echo.ReadAsync(response)).BodyLength);
    }
}
