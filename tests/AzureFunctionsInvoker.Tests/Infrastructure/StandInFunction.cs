using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A Function App on a loopback port: like Azure it answers 401 without the right <c>x-functions-key</c>,
/// and its functions (the segment after <c>/api/</c>) echo, hash, stream, hang or fail on demand, recording
/// what reached them so tests can assert on the function's side of the exchange.
/// </summary>
public sealed class StandInFunction : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInFunction(WebApplication app, string key)
    {
        _app = app;
        Key = key;
    }

    /// <summary>The function key the stand-in requires.</summary>
    public string Key { get; }

    public int Port { get; private set; }

    /// <summary>Raw request targets in arrival order.</summary>
    public ConcurrentQueue<string> ReceivedTargets { get; } = new();

    /// <summary>The paths as the function's own server decoded and normalised them, in arrival order.</summary>
    public ConcurrentQueue<string> ReceivedPaths { get; } = new();

    /// <summary>Body bytes <c>firehose</c> has handed to its server so far, across requests.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    private long _bytesSent;

    /// <summary>
    /// The body length each request to <c>flaky</c> received, in arrival order; <see langword="null"/> when its body
    /// was cut off. Every request that reached the function is here, whether it failed or not.
    /// </summary>
    public ConcurrentQueue<long?> FlakyCalls { get; } = new();

    private int _flakyCalls;

    /// <summary>
    /// Completed when a request reaches <c>hang</c> or <c>fault/stall</c>, <c>stall-after-headers</c> has sent its headers,
    /// or the first upload chunk reaches <c>lockstep-upload</c>.
    /// </summary>
    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when the function's own request is aborted by the proxy.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Set by a test to let <c>lockstep-download</c> send the rest of its body, or <c>truncate</c> (100 of its
    /// 1000 bytes sent, <c>?chunked</c> for chunked framing) die.
    /// <c>lockstep-download?warm</c> answers at once, to warm up a path before a test that times it.
    /// </summary>
    public TaskCompletionSource Proceed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the stand-in, over TLS with <paramref name="certificate"/> when one is given.</summary>
    public static async Task<StandInFunction> StartAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var function = new StandInFunction(app, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        app.Run(function.HandleAsync);
        await app.StartAsync();
        function.Port = new Uri(app.Urls.First()).Port;
        return function;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        ReceivedTargets.Enqueue(target);
        ReceivedPaths.Enqueue(context.Request.PathBase + context.Request.Path);

        if (context.Request.Headers["x-functions-key"] != Key)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var function = segments.Length > 1 ? segments[1] : string.Empty;
        var argument = segments.Length > 2 ? segments[2] : string.Empty;

        switch (function)
        {
            case "echo":
                await EchoAsync(context, target);
                break;
            case "download":
                await DownloadAsync(context, long.Parse(argument, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "hang":
                await HangAsync(context);
                break;
            case "truncate":
                // Without a Content-Length the body is chunked, and a cut leaves out the last chunk instead.
                context.Response.ContentLength = context.Request.Query.ContainsKey("chunked") ? null : 1000;
                await context.Response.Body.WriteAsync(new byte[100]);
                await context.Response.Body.FlushAsync();
                await Proceed.Task.WaitAsync(context.RequestAborted);
                context.Abort();
                break;
            case "die":
                context.Response.ContentLength = 1000;
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                context.Abort();
                break;
            case "stall-after-headers":
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                await HangAsync(context);
                break;
            case "flaky":
                await FlakyAsync(context, target, int.Parse(argument, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "mirror":
                await MirrorAsync(context);
                break;
            case "firehose":
                await FirehoseAsync(context, long.Parse(argument, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "fault":
                await FaultAsync(context, argument);
                break;
            case "status":
                context.Response.StatusCode = int.Parse(argument, System.Globalization.CultureInfo.InvariantCulture);
                context.Response.Headers.Location = "https://elsewhere.example/";
                break;
            case "cookies":
                context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
                context.Response.Headers.Append("Set-Cookie", "b=2; Path=/");
                context.Response.Headers["X-Custom"] = "custom";
                await context.Response.WriteAsync("cookies");
                break;
            case "lockstep-upload":
                await LockstepUploadAsync(context);
                break;
            case "lockstep-download" when context.Request.Query.ContainsKey("warm"):
                await context.Response.WriteAsync("warm");
                break;
            case "lockstep-download":
                await context.Response.Body.WriteAsync(new byte[1024]);
                await context.Response.Body.FlushAsync();
                await WaitUnlessAbortedAsync(Proceed.Task, context);
                await context.Response.Body.WriteAsync(new byte[1024]);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private static async Task EchoAsync(HttpContext context, string target)
    {
        var (length, sha256) = await HashAsync(context.Request.Body);
        await WriteEchoAsync(context, target, length, sha256);
    }

    private static async Task WriteEchoAsync(HttpContext context, string target, long length, string sha256)
    {
        var echo = new Echo(
            context.Request.Method,
            target,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? string.Empty).ToArray(), StringComparer.OrdinalIgnoreCase),
            length,
            sha256,
            context.Connection.Id);
        context.Response.Headers["X-Echo"] = "yes";
        await context.Response.WriteAsJsonAsync(echo);
    }

    /// <summary>
    /// <c>flaky/N</c> reads the whole body, then fails the stand-in's first N calls of it with 503 (or with
    /// <c>?reset</c>, drops the connection before any header: a transient failure the client sees as an exception),
    /// and echoes the calls after those.
    /// </summary>
    private async Task FlakyAsync(HttpContext context, string target, int failures)
    {
        long length;
        string sha256;
        try
        {
            (length, sha256) = await HashAsync(context.Request.Body);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
        {
            FlakyCalls.Enqueue(null);
            throw;
        }

        FlakyCalls.Enqueue(length);
        if (Interlocked.Increment(ref _flakyCalls) > failures)
        {
            await WriteEchoAsync(context, target, length, sha256);
        }
        else if (context.Request.Query.ContainsKey("reset"))
        {
            context.Abort();
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("flaky");
        }
    }

    private async Task HangAsync(HttpContext context)
    {
        Arrived.TrySetResult();
        await WaitUnlessAbortedAsync(Task.Delay(Timeout.Infinite), context);
    }

    // Records an abort where it is observed: a registration on RequestAborted can be disposed, by the
    // unwinding of this very await, before its callback runs.
    private async Task WaitUnlessAbortedAsync(Task task, HttpContext context)
    {
        try
        {
            await task.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Cancelled.TrySetResult();
            throw;
        }
    }

    private async Task LockstepUploadAsync(HttpContext context)
    {
        var buffer = new byte[1];
        var first = await context.Request.Body.ReadAsync(buffer);
        Arrived.TrySetResult();
        long length;
        try
        {
            (length, _) = await HashAsync(context.Request.Body);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The proxy reset the request mid-body (Kestrel reports it as a ConnectionResetException, an IOException).
            Cancelled.TrySetResult();
            throw;
        }

        await context.Response.WriteAsync((first + length).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    // Sends the request body back as the response body, as it arrives.
    private static async Task MirrorAsync(HttpContext context)
    {
        context.Response.ContentType = context.Request.ContentType;
        await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    // As fast as the server takes it: one buffer sent over and over, counted as it goes.
    private async Task FirehoseAsync(HttpContext context, long size)
    {
        context.Response.ContentLength = size;
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < size;)
        {
            var count = (int)Math.Min(buffer.Length, size - sent);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
            sent += count;
            Interlocked.Add(ref _bytesSent, count);
        }
    }

    /// <summary>
    /// <c>fault/slow?ms=N</c> answers 200 after N ms; <c>fault/fail</c> answers 500; <c>fault/reset</c> drops the
    /// connection before any header; <c>fault/stall</c> never answers; <c>fault/cut</c> promises 1000 bytes and
    /// dies after 100.
    /// </summary>
    private async Task FaultAsync(HttpContext context, string kind)
    {
        switch (kind)
        {
            case "slow":
                // The function's own latency: a behaviour under test, not a synchronisation.
                await Task.Delay(int.Parse(context.Request.Query["ms"]!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
                await context.Response.WriteAsync("slow");
                break;
            case "fail":
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("failed");
                break;
            case "reset":
                context.Abort();
                break;
            case "stall":
                await HangAsync(context);
                break;
            case "cut":
                context.Response.ContentLength = 1000;
                await context.Response.Body.WriteAsync(new byte[100]);
                await context.Response.Body.FlushAsync();
                context.Abort();
                break;
        }
    }

    private static async Task DownloadAsync(HttpContext context, long size)
    {
        // Without a Content-Length, Kestrel frames the body as chunked.
        if (!context.Request.Query.ContainsKey("chunked"))
        {
            context.Response.ContentLength = size;
        }

        var buffer = new byte[81920];
        for (long sent = 0; sent < size;)
        {
            var count = (int)Math.Min(buffer.Length, size - sent);
            Pattern.Fill(buffer.AsSpan(0, count), sent);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
            sent += count;
        }
    }

    public static async Task<(long Length, string Sha256)> HashAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return (length, Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>What <c>echo</c> received, and on which of the function's connections.</summary>
    public sealed record Echo(string Method, string Target, Dictionary<string, string[]> Headers, long BodyLength, string BodySha256, string ConnectionId)
    {
        public static async Task<Echo> ReadAsync(HttpResponseMessage response)
        {
            var echo = (await response.Content.ReadFromJsonAsync<Echo>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

            // Header names are case-insensitive, and HTTP/2 sends them in lower case.
            return echo with { Headers = new(echo.Headers, StringComparer.OrdinalIgnoreCase) };
        }
    }
}
