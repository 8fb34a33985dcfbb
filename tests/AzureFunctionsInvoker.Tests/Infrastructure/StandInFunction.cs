using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A Function App on a loopback port: like Azure it answers 401 without the right <c>x-functions-key</c>,
/// and its functions (the segment after <c>/api/</c>) echo, hash, stream, hang or fail on demand, recording
/// what reached them so tests can assert on the function's side of the exchange. This file hosts and routes;
/// the functions are in <c>StandInFunction.Bodies.cs</c>, <c>.Headers.cs</c> and <c>.Faults.cs</c>.
/// </summary>
public sealed partial class StandInFunction : IAsyncDisposable
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
    /// 1000 bytes sent, <c>?chunked</c> for chunked framing) die; <c>truncate?now</c> dies without waiting.
    /// <c>lockstep-download?warm</c> answers at once, to warm up a path before a test that times it.
    /// </summary>
    public TaskCompletionSource Proceed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What <c>answer</c> answers: set by a test that needs a response of its own (its headers, its body).</summary>
    public Func<HttpContext, Task> Answer { get; set; } = NotFoundAsync;

    /// <summary>The stand-in's own origin, as its responses name it: <c>http://127.0.0.1:{port}</c> (https with a certificate).</summary>
    public string Origin => $"{(_https ? "https" : "http")}://127.0.0.1:{Port}";

    private bool _https;

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
        function._https = certificate is not null;
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

        if (context.Request.Path.StartsWithSegments("/runtime/webhooks/durabletask", StringComparison.Ordinal))
        {
            await ManageInstanceAsync(context);
            return;
        }

        if (context.Request.Headers["x-functions-key"] != Key)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var function = segments.Length > 1 ? segments[1] : string.Empty;
        var argument = segments.Length > 2 ? segments[2] : string.Empty;

        var task = function switch
        {
            // Bodies (StandInFunction.Bodies.cs)
            "echo" => EchoAsync(context, target),
            "mirror" => MirrorAsync(context),
            "download" => DownloadAsync(context, long.Parse(argument, CultureInfo.InvariantCulture)),
            "firehose" => FirehoseAsync(context, long.Parse(argument, CultureInfo.InvariantCulture)),
            "lockstep-upload" => LockstepUploadAsync(context),
            "lockstep-download" => LockstepDownloadAsync(context),
            // Headers (StandInFunction.Headers.cs)
            "cookies" => CookiesAsync(context),
            "reflect" => ReflectAsync(context),
            "status" => StatusAsync(context, int.Parse(argument, CultureInfo.InvariantCulture)),
            // Faults (StandInFunction.Faults.cs)
            "hang" => HangAsync(context),
            "stall-after-headers" => StallAfterHeadersAsync(context),
            "die" => DieAsync(context),
            "truncate" => TruncateAsync(context),
            "flaky" => FlakyAsync(context, target, int.Parse(argument, CultureInfo.InvariantCulture)),
            "fault" => FaultAsync(context, argument),
            // Durable Functions (StandInFunction.Durable.cs) and answers a test writes itself
            "orchestrators" => StartOrchestrationAsync(context),
            "answer" => Answer(context),
            _ => NotFoundAsync(context),
        };
        await task;
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
