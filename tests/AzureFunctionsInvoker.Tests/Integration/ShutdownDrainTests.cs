using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A rolling restart, as the orchestrator does it: SIGTERM to the sample while 100 forwarded requests wait on the
/// function and 20 event streams are open. The requests complete, the streams end cleanly shortly before the
/// host's shutdown timeout, new connections are refused once the stop has begun, and the process exits in time.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ShutdownDrainTests(ITestOutputHelper output)
{
    private const int ShutdownTimeoutSeconds = 6;
    private const int InFlight = 100;
    private const int Streams = 20;

    [Fact]
    public async Task A_SIGTERM_lets_forwarded_requests_finish_ends_event_streams_cleanly_and_refuses_new_connections()
    {
        await using var function = await StandInFunction.StartAsync();
        var arrived = 0;
        var streaming = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        function.Answer = async context =>
        {
            if (context.Request.Query.ContainsKey("events"))
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: open\n\n");
                await context.Response.Body.FlushAsync();
                Interlocked.Increment(ref streaming);
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            Interlocked.Increment(ref arrived);
            await release.Task;
            await context.Response.WriteAsync("done");
        };

        var environment = SampleProcess.Forwarding(function, "answer");
        environment["shutdownTimeoutSeconds"] = ShutdownTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["RateLimit__PermitLimit"] = "100000";
        await using var sample = await SampleProcess.StartAsync(environment);
        using var callers = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = InFlight + Streams + 10 }) { BaseAddress = sample.Client.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };

        var streams = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async _ =>
        {
            var response = await callers.GetAsync("/mytest?events", HttpCompletionOption.ResponseHeadersRead);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("data: open", await reader.ReadLineAsync());
            return (response, reader);
        }));
        var requests = Enumerable.Range(0, InFlight).Select(_ => callers.GetAsync("/mytest")).ToArray();
        await Eventually.HoldsAsync(() => Volatile.Read(ref arrived) == InFlight, TimeSpan.FromSeconds(60), "every request to reach the function");

        var stopping = Stopwatch.StartNew();
        sample.Terminate();
        await sample.WaitForOutputAsync("Application is shutting down", TimeSpan.FromSeconds(30));

        // Kestrel stops listening as the host stops: a new connection is refused, not accepted and left unanswered.
        await Eventually.HoldsAsync(() => IsRefused(sample.Port), TimeSpan.FromSeconds(ShutdownTimeoutSeconds), "new connections to be refused");
        release.SetResult();
        var answers = await Task.WhenAll(requests);

        // Each stream reads to its end: no reset, no exception.
        var ends = await Task.WhenAll(streams.Select(async stream =>
        {
            var rest = await stream.reader.ReadToEndAsync();
            return (rest, elapsed: stopping.Elapsed);
        }));

        await sample.WaitForExitAsync(TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 30));
        var exited = stopping.Elapsed;
        output.WriteLine($"SIGTERM to exit: {exited.TotalSeconds:F2} s with {Streams} open streams (ShutdownTimeout {ShutdownTimeoutSeconds} s); streams ended after {ends.Max(e => e.elapsed).TotalSeconds:F2} s");

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.All(await Task.WhenAll(answers.Select(answer => answer.Content.ReadAsStringAsync())), body => Assert.Equal("done", body));
        Assert.All(streams, stream => Assert.Equal(HttpStatusCode.OK, stream.response.StatusCode));
        // The blank line that ends the event already read, then the end of the stream.
        Assert.All(ends, end => Assert.Equal("\n", end.rest));
        Assert.Equal(0, sample.ExitCode);
        foreach (var (response, reader) in streams)
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_event_stream_ends_cleanly_when_the_host_stops_and_other_responses_are_not_cut(bool http2)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("answer")
            .WithProtocols(http2 ? HttpProtocols.Http2 : HttpProtocols.Http1)
            .ConfigureServices(builder => builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2)))
            .StartAsync();
        env.Caller.DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        env.Caller.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        env.Function.Answer = async context =>
        {
            context.Response.ContentType = context.Request.Query.ContainsKey("events") ? "text/event-stream" : "text/plain";
            await context.Response.WriteAsync("data: open\n\n");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            await context.Response.WriteAsync("data: last\n\n");
        };
        using var events = await env.Caller.GetAsync("/mytest?events", HttpCompletionOption.ResponseHeadersRead);
        using var download = await env.Caller.GetAsync("/mytest?download", HttpCompletionOption.ResponseHeadersRead);
        using var eventsReader = new StreamReader(await events.Content.ReadAsStreamAsync());
        using var downloadReader = new StreamReader(await download.Content.ReadAsStreamAsync());
        Assert.Equal("data: open", await eventsReader.ReadLineAsync());
        Assert.Equal("data: open", await downloadReader.ReadLineAsync());

        // Only the stop's notice, not the server's stop: the stream ends before its deadline (1.5 s of the 2) all the same.
        env.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var eventsRest = await eventsReader.ReadToEndAsync(bound.Token);
        release.SetResult();
        var downloadRest = await downloadReader.ReadToEndAsync();

        Assert.Equal(http2 ? HttpVersion.Version20 : HttpVersion.Version11, events.Version);
        Assert.Equal("\n", eventsRest);
        Assert.Equal("\ndata: last\n\n", downloadRest);
        Assert.Contains(env.Logs.Entries, entry => entry.EventId.Name == "EventStreamEnded");
    }

    [Fact]
    public async Task Stopping_the_host_closes_its_idle_pooled_connections_to_the_function()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Echo"] = "echo" })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/echo/{**rest}", "Echo"))
            .StartAsync();
        using (var response = await env.Caller.GetAsync("/echo/a"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Eventually.HoldsAsync(() => ProcessResources.ConnectionsTo(env.Function.Port) == 1, TimeSpan.FromSeconds(10), "the pooled connection to be idle");
        await env.App.StopAsync();

        // Keepalive (60 s) would keep it open until the app is disposed.
        await Eventually.HoldsAsync(() => ProcessResources.ConnectionsTo(env.Function.Port) == 0, TimeSpan.FromSeconds(10), "the idle connection to close");
    }

    private static bool IsRefused(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }
}
