using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A function served by several stand-in regions on 127.0.0.1 (<c>Backends</c>): which region a request goes to, what
/// fails over and what does not, and the circuits on a fake clock.
/// </summary>
public sealed class FailoverTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Requests_go_to_the_lowest_priority_only()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(3)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:0:Priority"] = "2",
                ["Backends:1:Priority"] = "1",
                ["Backends:2:Priority"] = "3",
            })
            .StartAsync();

        var answeredBy = await env.AnsweredByAsync(10);

        Assert.All(answeredBy, region => Assert.Equal("B", region));
        Assert.Empty(env.Regions[0].Requests);
        Assert.Empty(env.Regions[2].Requests);
        var mounted = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Mounted");
        var (a, b, c) = (env.Regions[0].Port, env.Regions[1].Port, env.Regions[2].Port);
        Assert.Contains($"http://127.0.0.1:{b}/api/hello or http://127.0.0.1:{a}/api/hello or http://127.0.0.1:{c}/api/hello", mounted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weights_3_and_1_give_300_and_100_of_400_requests()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:0:Weight"] = "3",
                ["Backends:1:Weight"] = "1",
            })
            .StartAsync();

        var answeredBy = new List<string>();
        for (var batch = 0; batch < 50; batch++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => env.GetAsync()));
            answeredBy.AddRange(responses.Select(StandInRegion.AnsweredBy));
        }

        Assert.Equal(300, answeredBy.Count(r => r == "A"));
        Assert.Equal(100, answeredBy.Count(r => r == "B"));
    }

    [Fact]
    public async Task Each_backend_gets_its_own_key_and_client_id_and_no_key_is_logged()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends().StartAsync();

        var answeredBy = await env.AnsweredByAsync(4);

        Assert.Equal(["A", "B", "A", "B"], answeredBy);
        foreach (var region in env.Regions)
        {
            Assert.All(region.Requests, received => Assert.True(received.OwnKey, $"{region.Name} was sent another region's key"));
            Assert.All(region.Requests, received => Assert.Equal(region.Name, received.ClientId));
        }

        // DisposeAsync asserts that neither key reached a log line.
    }

    [Fact]
    public async Task A_stopped_backend_costs_callers_nothing_not_even_posts_with_bodies()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        await env.Regions[0].StopAsync();
        var body = RandomNumberGenerator.GetBytes(100_000);

        var answers = new List<(HttpStatusCode Status, string Region)>();
        for (var i = 0; i < 8; i++)
        {
            using var response = i % 2 == 0 ? await env.PostAsync(body) : await env.GetAsync();
            answers.Add((response.StatusCode, StandInRegion.AnsweredBy(response)));
        }

        Assert.All(answers, answer => Assert.Equal((HttpStatusCode.OK, "B"), answer));
        Assert.Equal([body.Length, 0, body.Length, 0, body.Length, 0, body.Length, 0], env.Regions[1].Requests.Select(r => r.BodyLength));
        var opened = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Contains($"127.0.0.1:{env.Regions[0].Port}", opened.Text, StringComparison.Ordinal);
        Assert.Contains("5 failures in a row", opened.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_answering_503_opens_after_FailureThreshold_and_closes_after_BreakDuration()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["FailureThreshold"] = "3",
                ["BreakDuration"] = "10000",
            })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        var whileFailing = await env.AnsweredByAsync(5);
        var requestsWhileFailing = env.Regions[0].Requests.Count;
        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromMilliseconds(9_999));
        var beforeBreakEnds = await env.AnsweredByAsync(1);
        env.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var afterBreak = await env.AnsweredByAsync(3);

        Assert.Equal(["B", "B", "B", "B", "B"], whileFailing);
        Assert.Equal(3, requestsWhileFailing); // Tried until the third failure, then left alone.
        Assert.Equal(["B"], beforeBreakEnds);
        Assert.Equal(["A", "A", "A"], afterBreak);
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened" && e.Level == LogLevel.Warning);
        var closed = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitClosed");
        Assert.Contains($"127.0.0.1:{env.Regions[0].Port}", closed.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_trial_after_the_break_opens_the_circuit_again()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["FailureThreshold"] = "1",
                ["BreakDuration"] = "10000",
            })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        await env.AnsweredByAsync(2);
        env.Clock.Advance(TimeSpan.FromSeconds(10));
        var trial = await env.AnsweredByAsync(2);

        Assert.Equal(["B", "B"], trial);
        Assert.Equal(2, env.Regions[0].Requests.Count); // The first request, then one trial.
        Assert.Equal(2, env.Logs.Entries.Count(e => e.EventId.Name == "CircuitOpened"));
    }

    [Fact]
    public async Task After_the_break_one_request_at_a_time_tries_the_backend()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["FailureThreshold"] = "1",
                ["BreakDuration"] = "10000",
            })
            .StartAsync();
        var a = env.Regions[0];
        a.AnswerWith(StatusCodes.Status503ServiceUnavailable);
        await env.AnsweredByAsync(1);
        env.Clock.Advance(TimeSpan.FromSeconds(10));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Answer = async context =>
        {
            await release.Task;
            await context.Response.WriteAsync("A");
        };
        a.Reset();

        var trial = env.GetAsync();
        await a.Arrived.Task.WaitAsync(s_bound);
        var duringTrial = await env.AnsweredByAsync(2);
        release.SetResult();
        using var trialAnswer = await trial.WaitAsync(s_bound);
        var afterTrial = await env.AnsweredByAsync(2);

        Assert.Equal(["B", "B"], duringTrial);
        Assert.Equal("A", StandInRegion.AnsweredBy(trialAnswer));
        Assert.Equal(["A", "A"], afterTrial);
        Assert.Equal(3, a.Requests.Count);
    }

    [Fact]
    public async Task A_POST_with_a_body_is_never_sent_twice_its_caller_gets_the_503()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        var body = RandomNumberGenerator.GetBytes(1000);

        using var response = await env.PostAsync(body);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("A says 503", await response.Content.ReadAsStringAsync());
        Assert.Equal([body.Length], env.Regions[0].Requests.Select(r => r.BodyLength));
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task Retry_After_2_on_a_503_keeps_the_backend_out_for_2_seconds_and_no_longer()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable, retryAfter: "2");

        var throttled = await env.AnsweredByAsync(1);
        env.Regions[0].Answer = null;
        var during = await env.AnsweredByAsync(2);
        env.Clock.Advance(TimeSpan.FromMilliseconds(1_999));
        var justBefore = await env.AnsweredByAsync(1);
        env.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var after = await env.AnsweredByAsync(2);

        Assert.Equal(["B"], throttled);
        Assert.Equal(["B", "B"], during);
        Assert.Equal(["B"], justBefore);
        Assert.Equal(["A", "A"], after);
        var opened = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Contains("503 with Retry-After", opened.Text, StringComparison.Ordinal);
        Assert.Contains("2000 ms", opened.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Retry_After_date_is_capped_by_MaxRetryAfter()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["MaxRetryAfter"] = "5000",
            })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable, retryAfter: env.Clock.GetUtcNow().AddHours(1).ToString("R"));

        await env.AnsweredByAsync(1);
        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromMilliseconds(4_999));
        var justBefore = await env.AnsweredByAsync(1);
        env.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var after = await env.AnsweredByAsync(1);

        Assert.Equal(["B"], justBefore);
        Assert.Equal(["A"], after);
    }

    [Fact]
    public async Task A_timeout_fails_a_GET_over_but_not_a_POST_with_a_body()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["Timeout"] = "1000",
            })
            .StartAsync();
        env.Regions[0].Hang();
        var body = RandomNumberGenerator.GetBytes(1000);

        var getting = env.GetAsync();
        await env.Regions[0].Arrived.Task.WaitAsync(s_bound);
        await env.Clock.WhenArmedAsync().WaitAsync(s_bound);
        env.Clock.Advance(TimeSpan.FromSeconds(1));
        using var get = await getting.WaitAsync(s_bound);
        env.Regions[0].Reset();
        using var post = await ExpireAsync(env, env.PostAsync(body));

        Assert.Equal((HttpStatusCode.OK, "B"), (get.StatusCode, StandInRegion.AnsweredBy(get)));
        Assert.Equal(HttpStatusCode.GatewayTimeout, post.StatusCode);
        Assert.Equal([body.Length], env.Regions[0].Requests.Select(r => r.BodyLength));
        Assert.Equal(["GET"], env.Regions[1].Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task A_GET_whose_response_started_streaming_is_never_retried()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        env.Regions[0].Answer = async context =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.Body.WriteAsync(new byte[100]);
            await context.Response.Body.FlushAsync();
            await cut.Task;
            context.Abort();
        };

        using var response = await env.Caller.GetAsync(new Uri("/hello", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_bound);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = await body.ReadAsync(new byte[100]).AsTask().WaitAsync(s_bound);
        cut.SetResult();
        var rest = await Record.ExceptionAsync(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));

        Assert.Equal((HttpStatusCode.OK, "A"), (response.StatusCode, StandInRegion.AnsweredBy(response)));
        Assert.True(first > 0, "the caller got the start of A's body");
        Assert.IsNotType<TimeoutException>(rest); // The caller sees the cut, as from a single host.
        Assert.NotNull(rest);
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task When_every_circuit_is_open_the_request_goes_to_the_one_whose_break_ends_first()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["FailureThreshold"] = "1",
                ["BreakDuration"] = "10000",
                ["Backends:1:Priority"] = "2",
            })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        await env.AnsweredByAsync(1); // A opens until 10 s; B answers.
        env.Clock.Advance(TimeSpan.FromSeconds(5));
        env.Regions[1].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using var lastOpen = await env.GetAsync(); // A is open: B's 503 opens B until 15 s, and is the caller's answer.
        env.Regions[0].Reset();

        using var allOpen = await env.GetAsync();

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "B"), (lastOpen.StatusCode, StandInRegion.AnsweredBy(lastOpen)));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "A"), (allOpen.StatusCode, StandInRegion.AnsweredBy(allOpen)));
        Assert.Single(env.Regions[0].Requests);
    }

    [Fact]
    public async Task A_reload_adds_and_removes_backends_and_keeps_the_circuit_of_one_it_keeps()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(3)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["FailureThreshold"] = "1",
                ["Backends:2:Priority"] = "2",
            })
            .StartAsync();
        var (a, b, c) = (env.Regions[0], env.Regions[1], env.Regions[2]);
        b.AnswerWith(StatusCodes.Status503ServiceUnavailable);
        await env.AnsweredByAsync(2); // B's circuit opens.
        b.Answer = null;

        env.Reload(ProxyHostBuilder.BackendSettings([b, c], new Dictionary<string, string?> { ["FailureThreshold"] = "1", ["Timeout"] = "5000" }));
        await env.Logs.WaitForAsync("Reloaded", s_bound);
        var afterRemovingA = await env.AnsweredByAsync(2);
        env.Clock.Advance(TimeSpan.FromSeconds(30));
        env.Logs.Entries.Clear();
        env.Reload(ProxyHostBuilder.BackendSettings([c, b, a]));
        await env.Logs.WaitForAsync("Reloaded", s_bound);
        var afterAddingA = await env.AnsweredByAsync(6);

        Assert.Equal(["C", "C"], afterRemovingA); // B kept its open circuit, A is gone.
        Assert.Equal(3, afterAddingA.Distinct().Count());
        Assert.Equal(2, afterAddingA.Count(r => r == "A"));
    }

    // Moves the clock past Timeout once the request waits on the hanging region A, again should the first move come
    // as the proxy paused its timer to read the end of the caller's body: the request goes to A alone.
    private static async Task<HttpResponseMessage> ExpireAsync(ProxyTestHost env, Task<HttpResponseMessage> sending)
    {
        await env.Regions[0].Arrived.Task.WaitAsync(s_bound);
        while (!sending.IsCompleted)
        {
            await env.Clock.WhenArmedAsync().WaitAsync(s_bound);
            env.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(sending, Task.Delay(TimeSpan.FromMilliseconds(100)));
        }

        return await sending;
    }
}
