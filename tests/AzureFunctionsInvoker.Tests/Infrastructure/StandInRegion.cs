using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// One Function App of several serving the same function (a region), on a loopback port: like Azure it answers 401
/// without its own <c>x-functions-key</c>. It reads each request's body whole, records what came, says who it is in
/// <c>X-Region</c>, then answers 200 with its name, or as <see cref="Answer"/> says. <see cref="StopAsync"/> leaves its
/// port with nothing listening: connecting is refused, as for a region that is down.
/// </summary>
public sealed class StandInRegion : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private StandInRegion(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The function key this region requires, and no other.</summary>
    public string Key { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public int Port { get; private set; }

    /// <summary>Each request that reached the region, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Completed when a request reaches the region.</summary>
    public TaskCompletionSource Arrived { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How the region answers a request with the right key, once its body is read; <see langword="null"/> for 200 with its name.</summary>
    public Func<HttpContext, Task>? Answer { get; set; }

    /// <summary>Whether the region answers without reading the body, as a host refusing a request early; its length is then recorded as -1.</summary>
    public bool AnswersUnread { get; set; }

    /// <summary>The longest body the region accepts, as a host's limit: a longer declared one gets Kestrel's 413 and the connection closed.</summary>
    public long? MaxRequestBodySize { get; set; }

    public static async Task<StandInRegion> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var region = new StandInRegion(app, name);
        app.Run(region.HandleAsync);
        await app.StartAsync();
        region.Port = new Uri(app.Urls.First()).Port;
        return region;
    }

    /// <summary>Forgets the requests so far, and waits for the next one to arrive.</summary>
    public void Reset()
    {
        Requests.Clear();
        Arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Answers with <paramref name="status"/>, and <c>Retry-After</c> when <paramref name="retryAfter"/> is given.</summary>
    public void AnswerWith(int status, string? retryAfter = null) => Answer = context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return context.Response.WriteAsync($"{Name} says {status}");
    };

    /// <summary>Never answers, until the proxy gives up on it.</summary>
    public void Hang() => Answer = context => Task.Delay(Timeout.Infinite, context.RequestAborted);

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    /// <summary>The region that answered, as its <c>X-Region</c> header says.</summary>
    public static string AnsweredBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Region", out var values) ? values.Single() : "(none)";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var key = context.Request.Headers["x-functions-key"].ToString();
        if (MaxRequestBodySize is { } limit)
        {
            context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = limit;
        }

        var length = AnswersUnread ? -1 : (await StandInFunction.HashAsync(context.Request.Body)).Length;
        Requests.Enqueue(new Received(context.Request.Method, key == Key, context.Request.Headers["x-functions-clientid"].ToString(), length, context.Request.Path + context.Request.QueryString));
        Arrived.TrySetResult();
        context.Response.Headers["X-Region"] = Name;
        if (key != Key)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        await (Answer?.Invoke(context) ?? context.Response.WriteAsync(Name));
    }

    /// <summary>One request as the region saw it: its method, whether it held this region's key, its client id, its body's length, its path and query.</summary>
    public sealed record Received(string Method, bool OwnKey, string ClientId, long BodyLength, string Target);
}
