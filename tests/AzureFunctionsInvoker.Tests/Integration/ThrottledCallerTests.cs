using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A function that throttles per caller (a 429 for one client's quota, with <c>Retry-After: 60</c>) must not let that
/// client move every other caller off a healthy backend: a 429 is one failure toward <c>FailureThreshold</c>, failures
/// in a row that end on a 429 open the circuit only once they have lasted a <c>BreakDuration</c>, and only a 503 (the
/// whole backend says it is unavailable) opens it at once for its <c>Retry-After</c>.
/// </summary>
public sealed class ThrottledCallerTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task One_callers_429s_do_not_move_another_caller_off_a_healthy_backend()
    {
        await using var env = await StartTwoRegionsAsync();
        env.Regions[0].Answer = ThrottleGreedyCaller;

        var greedy = new List<HttpStatusCode>();
        var other = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            // A POST is never retried elsewhere: the greedy caller gets its own 429 back.
            using var throttled = await SendAsync(env, HttpMethod.Post, greedy: true);
            greedy.Add(throttled.StatusCode);
            using var served = await SendAsync(env, HttpMethod.Get, greedy: false);
            other.Add(StandInRegion.AnsweredBy(served));
        }

        Assert.All(greedy, status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
        Assert.All(other, region => Assert.Equal("A", region));
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
    }

    [Fact]
    public async Task A_burst_of_one_callers_429s_as_long_as_the_threshold_does_not_move_another_caller()
    {
        await using var env = await StartTwoRegionsAsync();
        env.Regions[0].Answer = ThrottleGreedyCaller;

        // Ten POSTs in a row from the throttled caller, none of the other caller's between: ten failures in a row.
        for (var i = 0; i < 10; i++)
        {
            using var throttled = await SendAsync(env, HttpMethod.Post, greedy: true);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        }

        using var served = await SendAsync(env, HttpMethod.Get, greedy: false);

        Assert.Equal("A", StandInRegion.AnsweredBy(served));
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
    }

    [Fact]
    public async Task A_429_with_Retry_After_counts_as_one_failure_and_its_wait_is_the_break_once_the_threshold_opens_the_circuit()
    {
        await using var env = await StartTwoRegionsAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status429TooManyRequests, retryAfter: "2");

        // The threshold is reached at once; the circuit opens on the first 429 once they have lasted a BreakDuration.
        var first = await env.AnsweredByAsync(2);
        env.Clock.Advance(TimeSpan.FromSeconds(30));
        var atThreshold = await env.AnsweredByAsync(1);
        env.Regions[0].Answer = null;
        var open = await env.AnsweredByAsync(1);
        env.Clock.Advance(TimeSpan.FromSeconds(2));
        var after = await env.AnsweredByAsync(1);

        // Each GET that got a 429 was failed over to B; only the third opened A's circuit, for Retry-After's 2 s.
        Assert.Equal(["B", "B"], first);
        Assert.Equal(["B"], atThreshold);
        Assert.Equal(["B"], open);
        Assert.Equal(["A"], after);
        Assert.Equal(4, env.Regions[0].Requests.Count);
        var opened = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Contains("3 failures in a row", opened.Text, StringComparison.Ordinal);
        Assert.Contains("2000 ms", opened.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_503_with_Retry_After_still_opens_the_circuit_at_once()
    {
        await using var env = await StartTwoRegionsAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable, retryAfter: "60");

        var unavailable = await env.AnsweredByAsync(1);
        env.Regions[0].Answer = null;
        var during = await env.AnsweredByAsync(2);

        Assert.Equal(["B"], unavailable);
        Assert.Equal(["B", "B"], during);
        var opened = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Contains("503 with Retry-After", opened.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_throttled_caller_that_takes_the_half_open_trial_does_not_keep_a_recovered_backend_out()
    {
        await using var env = await StartTwoRegionsAsync();

        // A genuine outage opens A for 10 s; A recovers, but throttles the greedy caller, who asks as the break ends.
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable, retryAfter: "10");
        var outage = await env.AnsweredByAsync(1);
        env.Regions[0].Answer = ThrottleGreedyCaller;
        env.Clock.Advance(TimeSpan.FromSeconds(10));
        using var trial = await SendAsync(env, HttpMethod.Post, greedy: true);
        using var served = await SendAsync(env, HttpMethod.Get, greedy: false);

        // The greedy caller's 429 reopened A for its Retry-After of 60 s, every break, and sent the other caller to B.
        Assert.Equal(["B"], outage);
        Assert.Equal(HttpStatusCode.TooManyRequests, trial.StatusCode);
        Assert.Equal("A", StandInRegion.AnsweredBy(served));
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitClosed");
    }

    // Regions A and B, B the fallback; three failures in a row open a circuit, for a BreakDuration of 30 s.
    private static Task<ProxyTestHost> StartTwoRegionsAsync() => new ProxyHostBuilder()
        .WithRegions(2)
        .WithClock()
        .MountBackends(new Dictionary<string, string?>
        {
            ["Backends:1:Priority"] = "2",
            ["FailureThreshold"] = "3",
            ["BreakDuration"] = "30000",
        })
        .StartAsync();

    private static Task ThrottleGreedyCaller(HttpContext context)
    {
        if (context.Request.Headers["X-Caller"] == "greedy")
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "60";
            return Task.CompletedTask;
        }

        return context.Response.WriteAsync("A");
    }

    private static async Task<HttpResponseMessage> SendAsync(ProxyTestHost env, HttpMethod method, bool greedy)
    {
        using var request = new HttpRequestMessage(method, "/hello");
        request.Headers.Add("X-Caller", greedy ? "greedy" : "other");
        if (method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent([1, 2, 3]);
        }

        return await env.Caller.SendAsync(request).WaitAsync(s_bound);
    }
}
