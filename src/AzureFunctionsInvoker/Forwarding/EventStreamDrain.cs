using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Ends forwarded event streams (<c>text/event-stream</c>) cleanly when the host stops. Kestrel lets requests in flight
/// finish until the host's <see cref="HostOptions.ShutdownTimeout"/> and then aborts what is left, which a caller of an
/// event stream sees as a reset connection, or a 502 from a load balancer in front. So an event stream still open
/// shortly before that deadline (a second before it, or a quarter of a timeout under four seconds) is ended by the
/// proxy instead: the copy of its function's body stops and the caller's response completes (the last chunk over
/// HTTP/1.1, END_STREAM over HTTP/2), which an <c>EventSource</c> reads as the end of the stream and reconnects,
/// to another instance. A stream that ends by itself before then (a streamed completion) is left alone. Other
/// responses are never cut short here: ending them early would pass a truncated body as a whole one.
/// </summary>
internal sealed class EventStreamDrain : IDisposable
{
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _ending = new();
    private ITimer? _timer;

    /// <summary>A drain for the app's host; an app without one (no <paramref name="lifetime"/>) never ends a stream.</summary>
    public EventStreamDrain(TimeProvider time, IHostApplicationLifetime? lifetime = null, IOptions<HostOptions>? host = null)
    {
        var shutdownTimeout = host?.Value.ShutdownTimeout ?? Timeout.InfiniteTimeSpan;
        if (lifetime is not null && shutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            lifetime.ApplicationStopping.Register(() => _timer = time.CreateTimer(_ => End(), null, EndAfter(shutdownTimeout), Timeout.InfiniteTimeSpan));
        }
    }

    /// <summary>
    /// For a caller's response that is an event stream (the caller, <c>ResponseCopier</c>, tells by its type): keeps it
    /// out of output caching, and, with the app's <paramref name="drain"/>, cancels <paramref name="copy"/> (what the
    /// reads of the function's body wait on) when event streams end. The registration's token says whether that
    /// happened; dispose it before <paramref name="copy"/>. The drain is handed over by the mount, never looked up in
    /// <see cref="HttpContext.RequestServices"/>: that would make each stream create and hold a request scope.
    /// </summary>
    public static CancellationTokenRegistration Watch(HttpContext context, EventStreamDrain? drain, CancellationTokenSource copy)
    {
        UncachedResponse.Mark(context);
        return drain is null ? default : drain._ending.Token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), copy);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _ending.Dispose();
    }

    // Kestrel's deadline starts as the host begins to stop, a moment before this does.
    private static TimeSpan EndAfter(TimeSpan shutdownTimeout) =>
        shutdownTimeout - (shutdownTimeout / 4 < s_margin ? shutdownTimeout / 4 : s_margin);

    private void End()
    {
        try
        {
            _ending.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The app's services were disposed first.
        }
    }
}
