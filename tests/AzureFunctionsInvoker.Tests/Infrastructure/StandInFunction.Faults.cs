using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>The stand-in's functions that fail: hang, die before or during the body, fail a number of times first.</summary>
public sealed partial class StandInFunction
{
    private async Task StallAfterHeadersAsync(HttpContext context)
    {
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
        await HangAsync(context);
    }

    private static async Task DieAsync(HttpContext context)
    {
        context.Response.ContentLength = 1000;
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
        context.Abort();
    }

    private async Task TruncateAsync(HttpContext context)
    {
        // Without a Content-Length the body is chunked, and a cut leaves out the last chunk instead.
        context.Response.ContentLength = context.Request.Query.ContainsKey("chunked") ? null : 1000;
        await context.Response.Body.WriteAsync(new byte[100]);
        await context.Response.Body.FlushAsync();
        if (!context.Request.Query.ContainsKey("now"))
        {
            await Proceed.Task.WaitAsync(context.RequestAborted);
        }

        context.Abort();
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

    /// <summary>
    /// <c>fault/slow?ms=N</c> answers 200 after N ms; <c>fault/fail</c> answers 500; <c>fault/reset</c> drops the
    /// connection before any header. (<c>hang</c> never answers; <c>truncate</c> dies mid-body.)
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
        }
    }
}
