using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// <c>RequestBodyFraming</c> over real sockets, against a stand-in that refuses a body without <c>Content-Length</c>
/// (411), as Azure Functions' out-of-process workers effectively do (they read such a body as empty). Each test gives the
/// proxy a temporary directory of its own and checks that no temporary file is left in it however the request ended.
/// </summary>
public sealed class RequestBodyFramingTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("azfi-framing-").FullName;

    public static TheoryData<int> Sizes => new(0, 1, 64 * 1024, 32 * 1024 * 1024);

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task A_chunked_body_reaches_a_function_that_needs_its_length_whole_and_byte_for_byte(int size)
    {
        await using var env = await StartAsync();
        var body = Bytes(size);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{size} {size} {Hash(body)}", await response.Content.ReadAsStringAsync());
        await AssertNoTemporaryFileAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    [InlineData(1024 * 1024)]
    public async Task An_http2_body_without_content_length_reaches_the_function_with_its_length(int size)
    {
        await using var env = await StartAsync(http2Caller: true);
        var body = Bytes(size);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = Chunked(body),
        };

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{size} {size} {Hash(body)}", await response.Content.ReadAsStringAsync());
        await AssertNoTemporaryFileAsync();
    }

    [Fact]
    public async Task A_body_with_content_length_streams_through_as_before()
    {
        await using var env = await StartAsync();
        var body = Bytes(200_000);

        using var response = await env.Caller.PostAsync("/mytest", new ByteArrayContent(body));

        Assert.Equal($"{body.Length} {body.Length} {Hash(body)}", await response.Content.ReadAsStringAsync());
        Assert.Empty(Directory.GetFiles(_temp));
    }

    [Fact]
    public async Task A_chunked_body_over_MaxRequestBodySize_gets_413_and_nothing_reaches_the_function()
    {
        await using var env = await StartAsync(o => o.MaxRequestBodySize = 100_000);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(Bytes(300_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(env.Function.ReceivedTargets);
        await AssertNoTemporaryFileAsync();
    }

    [Fact]
    public async Task A_caller_that_aborts_mid_body_leaves_no_temporary_file_and_the_function_sees_nothing()
    {
        await using var env = await StartAsync();
        using var abort = new CancellationTokenSource();
        var sent = new TaskCompletionSource();
        var content = new PushContent(async stream =>
        {
            await stream.WriteAsync(Bytes(300_000));
            await stream.FlushAsync();
            sent.SetResult();
            await Task.Delay(Timeout.Infinite, abort.Token);
        });

        var call = env.Caller.PostAsync("/mytest", content, abort.Token);
        await sent.Task;
        await Eventually.HoldsAsync(() => Directory.GetFiles(_temp).Length == 1, TimeSpan.FromSeconds(10), "the body went to a temporary file");
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        await AssertNoTemporaryFileAsync();
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_function_that_times_out_on_a_buffered_body_leaves_no_temporary_file()
    {
        await using var env = await StartAsync(o =>
        {
            o.FunctionName = "hang";
            o.Timeout = 300;
        });

        using var response = await env.Caller.PostAsync("/mytest", Chunked(Bytes(300_000)));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        await AssertNoTemporaryFileAsync();
    }

    [Fact]
    public async Task AsSent_still_streams_a_chunked_body_chunked()
    {
        await using var env = await StartAsync(o => o.RequestBodyFraming = RequestBodyFraming.AsSent);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(Bytes(300_000)));

        // The stand-in refuses a body without a length, as an isolated worker effectively does.
        Assert.Equal(HttpStatusCode.LengthRequired, response.StatusCode);
        Assert.Empty(Directory.GetFiles(_temp));
    }

    [Fact]
    public async Task A_temporary_file_that_cannot_be_written_is_a_503_that_says_so_logged_once()
    {
        var missing = Path.Combine(_temp, "missing");
        await using var env = await StartAsync(directory: missing);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(Bytes(300_000)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("temporary file", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "RequestBodyBufferFailed");
        Assert.DoesNotContain(env.Logs.Entries, e => e.Text.Contains("   at ", StringComparison.Ordinal) && e.Level > Microsoft.Extensions.Logging.LogLevel.Debug);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_body_earlier_middleware_buffered_goes_with_its_length()
    {
        var seenByMiddleware = 0L;
        await using var env = await StartAsync(pipeline: app => app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var buffer = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                seenByMiddleware += read;
            }

            await next(context);
        }));
        var body = Bytes(100_000);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(body));

        Assert.Equal(body.Length, seenByMiddleware);
        Assert.Equal($"{body.Length} {body.Length} {Hash(body)}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_buffered_body_that_reached_no_backend_goes_whole_to_the_next()
    {
        var refusing = ClosedPort();
        await using var env = await StartAsync(o => o.Backends =
        [
            new() { AppName = "127.0.0.1", Port = refusing, Priority = 1 },
            new() { AppName = "127.0.0.1", Port = o.Port, Priority = 2 },
        ]);
        var body = Bytes(100_000);

        using var response = await env.Caller.PostAsync("/mytest", Chunked(body));

        Assert.Equal($"{body.Length} {body.Length} {Hash(body)}", await response.Content.ReadAsStringAsync());
        Assert.Single(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_buffered_body_a_backend_had_is_never_sent_to_another()
    {
        await using var second = await StandInFunction.StartAsync();
        await using var env = await StartAsync(o => o.Backends =
        [
            new() { AppName = "127.0.0.1", Port = o.Port, Priority = 1 },
            new() { AppName = "127.0.0.1", Port = second.Port, Priority = 2, ApiKey = second.Key },
        ]);
        env.Function.Answer = async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        };

        using var response = await env.Caller.PostAsync("/mytest", Chunked(Bytes(100_000)));

        // The first backend had the body (it may have acted on it): its 503 is the caller's, and the second sees nothing.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(env.Function.ReceivedTargets);
        Assert.Empty(second.ReceivedTargets);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<ProxyTestHost> StartAsync(
        Action<AzureFunctionProxyOptions>? configure = null, bool http2Caller = false, string? directory = null, Action<WebApplication>? pipeline = null) =>
        StartAsync(this, configure, http2Caller, directory, pipeline);

    private static async Task<ProxyTestHost> StartAsync(
        RequestBodyFramingTests test, Action<AzureFunctionProxyOptions>? configure, bool http2Caller, string? directory, Action<WebApplication>? pipeline)
    {
        var env = await new ProxyHostBuilder()
            .MountFunction("answer", configure)
            .WithProtocols(http2Caller ? HttpProtocols.Http2 : HttpProtocols.Http1)
            .ConfigureServices(builder => builder.Services.AddSingleton(new RequestBodyBuffer(directory ?? test._temp)))
            .ConfigurePipeline(pipeline)
            .StartAsync();
        env.Function.Answer = LengthOnlyAsync;
        return env;
    }

    // What an isolated worker needs: a body with its length. Answers the declared length, the bytes read and their hash.
    internal static async Task LengthOnlyAsync(HttpContext context)
    {
        if (context.Request.ContentLength is not long declared)
        {
            context.Response.StatusCode = StatusCodes.Status411LengthRequired;
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        await context.Response.WriteAsync($"{declared} {total} {Convert.ToHexString(hash.GetHashAndReset())}");
    }

    private async Task AssertNoTemporaryFileAsync() =>
        await Eventually.HoldsAsync(() => Directory.GetFiles(_temp).Length == 0, TimeSpan.FromSeconds(10), "the temporary file was deleted");

    internal static PushContent Chunked(byte[] body) => new(async stream =>
    {
        for (var offset = 0; offset < body.Length; offset += 64 * 1024)
        {
            await stream.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)));
        }
    });

    internal static byte[] Bytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    internal static string Hash(byte[] body) => Convert.ToHexString(SHA256.HashData(body));
}
