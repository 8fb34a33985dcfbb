using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Xunit.Abstractions;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// 64 callers for SOAK_SECONDS (default 8 s; <c>SOAK_SECONDS=60</c> for the long run) mixing small GETs, 64 KiB
/// POSTs and 1 MiB GETs while the function is randomly slow, failing, resetting, stalling or cutting its body off:
/// every answer is the one its request calls for, and afterwards the process holds no more sockets, threads or
/// heap than before, within margins.
/// </summary>
[Collection(AloneCollection.Name)]
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Callers = 64;
    private const int MiB = 1024 * 1024;
    private const int FunctionTimeout = 3000;
    private static readonly string s_oneMiBSha256 = Pattern.Sha256(MiB);

    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("SOAK_SECONDS"), CultureInfo.InvariantCulture, out var seconds) ? seconds : 8);

    [Fact]
    public async Task Sixty_four_callers_against_a_flaky_function_get_only_expected_answers_and_leave_nothing_behind()
    {
        // RoutePrefix "" and FunctionName "api" put every stand-in function behind the one mount point.
        await using var env = await new ProxyHostBuilder()
            .MountFunction("api", o => (o.RoutePrefix, o.Timeout, o.Keepalive) = ("", FunctionTimeout, 1000))
            .KeepingNoLogs()
            .StartAsync();
        var caller = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1) })
        {
            BaseAddress = env.Caller.BaseAddress,
        };
        var warmUp = new Random(0);
        foreach (var kind in Enum.GetValues<Kind>())
        {
            await CallAsync(caller, kind, warmUp, "warm-up");
        }

        var before = ProcessResources.Measure();
        var (functionBefore, proxyBefore) = (ProcessResources.ConnectionsTo(env.Function.Port), ProcessResources.ConnectionsTo(env.Port));

        var unexpected = new ConcurrentQueue<string>();
        var counts = new ConcurrentDictionary<Kind, int>();
        var deadline = DateTime.UtcNow + Duration;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var n = 0; DateTime.UtcNow < deadline; n++)
            {
                var kind = Pick(random);
                counts.AddOrUpdate(kind, 1, (_, c) => c + 1);
                if (await CallAsync(caller, kind, random, $"{worker}-{n}") is { } problem)
                {
                    unexpected.Enqueue($"{kind}: {problem}");
                }
            }
        })));
        var requests = counts.Values.Sum();

        // The callers' ends close at once; the proxy's ends close when Kestrel has read each caller's FIN (until then
        // CLOSE_WAIT, a descriptor still held), and its pooled connections to the function after Keepalive idle. So
        // the wait is on what is asserted, the descriptors, not on the callers' side alone, which a paused process
        // (a GC, a busy machine) lets pass while the proxy's ends are still open.
        caller.Dispose();
        var leftAt = Stopwatch.StartNew();
        var after = before;
        try
        {
            await Eventually.HoldsAsync(
                () => ProcessResources.ConnectionsTo(env.Function.Port) <= functionBefore
                    && ProcessResources.ConnectionsTo(env.Port) <= proxyBefore
                    && ProcessResources.LeftOpenAt(env.Port) == 0
                    && (after = ProcessResources.Measure()).Sockets <= before.Sockets + 4,
                TimeSpan.FromSeconds(30),
                "the soak's connections close at both ends once the callers leave and the function's pool is idle");
            output.WriteLine($"every connection closed {leftAt.ElapsedMilliseconds} ms after the callers left");
        }
        finally
        {
            output.WriteLine($"{Duration.TotalSeconds} s, {Callers} callers: {requests} requests ({string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}), {unexpected.Count} unexpected");
            output.WriteLine($"before: {before}; connections proxy->function {functionBefore}, caller->proxy {proxyBefore}");
            output.WriteLine($"after:  {after}; connections proxy->function {ProcessResources.ConnectionsTo(env.Function.Port)}, caller->proxy {ProcessResources.ConnectionsTo(env.Port)}");
            output.WriteLine($"function port: {ProcessResources.StatesAt(env.Function.Port)}; proxy port: {ProcessResources.StatesAt(env.Port)}");
            foreach (var problem in unexpected.Take(20))
            {
                output.WriteLine(problem);
            }

            output.WriteLine($"{env.Logs.Lines} log lines at Trace checked for the key");
        }

        Assert.True(unexpected.IsEmpty, string.Join('\n', unexpected.Take(20)));
        Assert.True(requests >= Callers * Duration.TotalSeconds, $"only {requests} requests");
        Assert.True(after.Sockets <= before.Sockets + 4, $"sockets: {before.Sockets} -> {after.Sockets}");
        Assert.True(after.Threads <= before.Threads + 40, $"threads: {before.Threads} -> {after.Threads}");
        Assert.True(after.HeapBytes <= before.HeapBytes + (32L * MiB), $"heap: {before.HeapBytes} -> {after.HeapBytes}");
    }

    private enum Kind { SmallGet, Post64KiB, Get1MiB, Slow, Fail, Reset, Stall, Cut }

    private static Kind Pick(Random random) => random.Next(100) switch
    {
        < 30 => Kind.SmallGet,
        < 55 => Kind.Post64KiB,
        < 70 => Kind.Get1MiB,
        < 80 => Kind.Slow,
        < 88 => Kind.Fail,
        < 93 => Kind.Reset,
        < 96 => Kind.Stall,
        _ => Kind.Cut,
    };

    /// <summary>Sends one request of <paramref name="kind"/>; returns why its answer is not the expected one, or null.</summary>
    private static async Task<string?> CallAsync(HttpClient caller, Kind kind, Random random, string id)
    {
        try
        {
            switch (kind)
            {
                case Kind.SmallGet:
                {
                    using var response = await caller.GetAsync($"/mytest/echo/{id}?q={id}");
                    var echo = response.StatusCode == HttpStatusCode.OK ? await Echo.ReadAsync(response) : null;
                    return echo?.Target == $"/api/echo/{id}?q={id}" ? null : $"{response.StatusCode} {echo?.Target}";
                }

                case Kind.Post64KiB:
                {
                    var payload = new byte[64 * 1024];
                    random.NextBytes(payload);
                    using var response = await caller.PostAsync($"/mytest/mirror/{id}", new ByteArrayContent(payload));
                    var answer = await response.Content.ReadAsByteArrayAsync();
                    return response.StatusCode == HttpStatusCode.OK && answer.AsSpan().SequenceEqual(payload) ? null : $"{response.StatusCode}, {answer.Length} bytes, not the payload";
                }

                case Kind.Get1MiB:
                {
                    using var response = await caller.GetAsync($"/mytest/download/{MiB}", HttpCompletionOption.ResponseHeadersRead);
                    var (length, sha256) = await HashAsync(await response.Content.ReadAsStreamAsync());
                    return response.StatusCode == HttpStatusCode.OK && length == MiB && sha256 == s_oneMiBSha256 ? null : $"{response.StatusCode}, {length} bytes";
                }

                case Kind.Slow:
                {
                    using var response = await caller.GetAsync($"/mytest/fault/slow?ms={random.Next(1, FunctionTimeout / 10)}");
                    return Expect(response, HttpStatusCode.OK, "slow", await response.Content.ReadAsStringAsync());
                }

                case Kind.Fail:
                {
                    using var response = await caller.GetAsync("/mytest/fault/fail");
                    return Expect(response, HttpStatusCode.InternalServerError, "failed", await response.Content.ReadAsStringAsync());
                }

                case Kind.Reset:
                {
                    using var response = await caller.GetAsync("/mytest/fault/reset");
                    return response.StatusCode == HttpStatusCode.BadGateway ? null : $"{response.StatusCode}";
                }

                case Kind.Stall:
                {
                    using var response = await caller.GetAsync("/mytest/hang");
                    return response.StatusCode == HttpStatusCode.GatewayTimeout ? null : $"{response.StatusCode}";
                }

                default:
                {
                    // Cut off after 100 of 1000 bytes: 502 if none was forwarded yet, else an aborted body; never all of it.
                    using var response = await caller.GetAsync("/mytest/truncate?now", HttpCompletionOption.ResponseHeadersRead);
                    if (response.StatusCode == HttpStatusCode.BadGateway)
                    {
                        return null;
                    }

                    var (length, _) = await HashAsync(await response.Content.ReadAsStreamAsync());
                    return $"{response.StatusCode} with a body of {length} bytes that looked complete";
                }
            }
        }
        catch (Exception e) when (kind == Kind.Cut && e is HttpRequestException or IOException)
        {
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static string? Expect(HttpResponseMessage response, HttpStatusCode status, string body, string actualBody) =>
        response.StatusCode == status && actualBody == body ? null : $"{response.StatusCode} {actualBody}";
}
