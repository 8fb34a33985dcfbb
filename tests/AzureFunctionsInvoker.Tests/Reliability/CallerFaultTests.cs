using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// A caller that goes away at any point, reads slowly, or whose body the app already read: the function's side of
/// the exchange ends with it, memory stays flat, and what is forwarded is the whole body.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class CallerFaultTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_caller_that_goes_away_while_waiting_cancels_the_function_call_and_is_logged_at_debug()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("hang").StartAsync();

        await AbandonOnceTheFunctionHasItAsync(env, abandon => env.Caller.GetAsync("/mytest", abandon));
    }

    [Fact]
    public async Task A_caller_that_goes_away_while_the_function_stalls_has_its_connection_closed_long_before_Timeout()
    {
        // Timeout at its 10-minute default: only the caller's leaving can end the exchange within the bound.
        await using var env = await new ProxyHostBuilder().MountFunction("hang").StartAsync();

        await AbandonOnceTheFunctionHasItAsync(env, abandon => env.Caller.GetAsync("/mytest", abandon));

        // Both ends of the exchange are released: the caller's connection (no CLOSE_WAIT held at the proxy's port,
        // as when a forward outlives its caller) and the proxy's own to the function.
        await Eventually.HoldsAsync(
            () => ProcessResources.LeftOpenAt(env.Port) == 0 && ProcessResources.ConnectionsTo(env.Function.Port) == 0,
            s_bound,
            "the proxy closes the connection of the caller that left, and its connection to the stalled function");
        Assert.Equal(0, ProcessResources.ConnectionsTo(env.Port));
    }

    [Fact]
    public async Task A_caller_that_aborts_mid_upload_aborts_the_functions_request()
    {
        // A chunked body reaches the function before it ends only as sent (RequestBodyFraming.AsSent).
        await using var env = await new ProxyHostBuilder()
            .MountFunction("lockstep-upload", o => o.RequestBodyFraming = RequestBodyFraming.AsSent)
            .StartAsync();

        // The function has started reading the body when the caller goes away.
        await AbandonOnceTheFunctionHasItAsync(env, async abandon =>
        {
            using var content = new PushContent(async stream =>
            {
                await stream.WriteAsync(new byte[1024]);
                await stream.FlushAsync();
                await Task.Delay(Timeout.Infinite, abandon);
            });
            return await env.Caller.PostAsync("/mytest", content, abandon);
        });
    }

    [Fact]
    public async Task A_caller_that_aborts_mid_download_releases_the_functions_connection()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("lockstep-download").StartAsync();
        using var abandon = new CancellationTokenSource();
        var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead, abandon.Token);
        var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(s_bound);
        Assert.Equal(1, ProcessResources.ConnectionsTo(env.Function.Port));

        // The function still holds the rest of its body back when the caller goes away.
        await abandon.CancelAsync();
        response.Dispose();

        await env.Function.Cancelled.Task.WaitAsync(s_bound);
        await Eventually.HoldsAsync(() => ProcessResources.ConnectionsTo(env.Function.Port) == 0, s_bound, "the proxy's connection to the function is closed");
        await env.Logs.WaitForAsync("CallerAborted", s_bound);
        AssertLoggedOnlyAsCallerAborted(env);
    }

    [Fact]
    public async Task A_slow_reader_of_a_fast_1_GiB_response_holds_the_function_back_and_the_proxy_stays_flat_in_memory()
    {
        const long size = 1024 * MiB;
        const long quarter = size / 4;
        await using var function = await StandInFunction.StartAsync();
        await using var sample = await SampleProcess.StartAsync(SampleProcess.Forwarding(function, functionName: "api", routePrefix: ""));
        using (var warm = await sample.Client.GetAsync($"/mytest/firehose/{MiB}"))
        {
            Assert.Equal(MiB, (await warm.Content.ReadAsByteArrayAsync()).Length);
        }

        var before = sample.ReadMemory("VmRSS");
        var sentBefore = function.BytesSent;
        using var response = await sample.Client.GetAsync($"/mytest/firehose/{size}", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long received = 0;
        long worstAhead = 0;
        while (true)
        {
            if (received % quarter == 0 && received < size)
            {
                // The reader stops: the function gets only as far as the buffers between them allow.
                var sent = await Eventually.SettlesAsync(() => function.BytesSent - sentBefore, TimeSpan.FromMilliseconds(500), s_bound, "the function is held back");
                worstAhead = Math.Max(worstAhead, sent - received);
                output.WriteLine($"reader paused at {received / MiB} MiB: the function had sent {sent / MiB} MiB");
            }

            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, quarter - (received % quarter))));
            if (read == 0)
            {
                break;
            }

            received += read;
        }

        var peak = sample.ReadMemory("VmHWM");
        output.WriteLine($"proxy RSS before: {before / MiB} MiB, peak through 1 GiB: {peak / MiB} MiB; the function ran at most {worstAhead / MiB} MiB ahead of the reader");
        Assert.Equal(size, received);
        Assert.True(worstAhead < 128 * MiB, $"the function ran {worstAhead / MiB} MiB ahead of a reader that had stopped");
        Assert.True(peak - before < 32 * MiB, $"peak RSS grew by {(peak - before) / MiB} MiB");
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(1024 * 1024)] // past EnableBuffering's 30 KiB in memory: buffered to a file
    public async Task A_body_buffered_and_read_earlier_in_the_pipeline_is_still_forwarded_whole(int size)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigurePipeline(app => app.Use(async (context, next) =>
            {
                context.Request.EnableBuffering();
                await HashAsync(context.Request.Body);
                await next(context);
            }))
            .StartAsync();
        var body = new byte[size];
        Pattern.Fill(body, 0);

        using var response = await env.Caller.PostAsync("/mytest", new ByteArrayContent(body));

        var echo = await Echo.ReadAsync(response);
        Assert.Equal(size, echo.BodyLength);
        Assert.Equal(Pattern.Sha256(size), echo.BodySha256);
    }

    [Fact]
    public async Task A_body_read_earlier_without_buffering_is_the_apps_fault_not_the_functions()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigurePipeline(app => app.Use(async (context, next) =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                await next(context);
            }))
            .StartAsync();

        using var response = await env.Caller.PostAsync("/mytest", new ByteArrayContent(new byte[5000]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "RequestBodyFailed");
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable");
    }

    // Sends with a token cancelled once the function signals Arrived; the function must see its request aborted.
    private static async Task AbandonOnceTheFunctionHasItAsync(ProxyTestHost env, Func<CancellationToken, Task<HttpResponseMessage>> send)
    {
        using var abandon = new CancellationTokenSource();
        var call = send(abandon.Token);

        await env.Function.Arrived.Task.WaitAsync(s_bound);
        await abandon.CancelAsync();

        await env.Function.Cancelled.Task.WaitAsync(s_bound);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await env.Logs.WaitForAsync("CallerAborted", s_bound);
        AssertLoggedOnlyAsCallerAborted(env);
    }

    // A caller going away is not the function's failure nor the app's: nothing at Warning or above.
    private static void AssertLoggedOnlyAsCallerAborted(ProxyTestHost env)
    {
        Assert.DoesNotContain(env.Logs.Entries, e => e.Level >= LogLevel.Warning
            && (e.Category.StartsWith("AzureFunctionsInvoker", StringComparison.Ordinal) || e.Category.StartsWith("System.Net.Http", StringComparison.Ordinal)));
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "CallerAborted" && e.Level == LogLevel.Debug);
    }
}
