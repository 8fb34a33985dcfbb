using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Failover attacked from both sides over real sockets: backends that answer or fail before, while or after reading a
/// body, callers who send bodies in every framing, abort, or provoke a backend, and backends sending nonsense
/// <c>Retry-After</c>. A request with a body reaches one backend only, and no caller can open a backend's circuit.
/// </summary>
public sealed class FailoverAbuseTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string?> s_secondIsFallback = new() { ["Backends:1:Priority"] = "2" };

    // One failure opens A's circuit, for 10 s.
    private static readonly Dictionary<string, string?> s_opensAtOnce = new(s_secondIsFallback) { ["FailureThreshold"] = "1", ["BreakDuration"] = "10000" };

    [Fact]
    public async Task A_POST_with_Expect_100_continue_answered_503_before_its_body_was_read_goes_nowhere_else()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(s_secondIsFallback).StartAsync();
        env.Regions[0].AnswersUnread = true;
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using var response = await SendAsync(env, HttpMethod.Post, RandomNumberGenerator.GetBytes(10_000), expectContinue: true);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "A"), (response.StatusCode, StandInRegion.AnsweredBy(response)));
        Assert.Equal([("POST", -1L)], env.Regions[0].Requests.Select(r => (r.Method, r.BodyLength)));
        Assert.Empty(env.Regions[1].Requests); // A had the request: it may have acted on it.
    }

    [Fact]
    public async Task A_POST_with_Expect_100_continue_that_timed_out_before_its_body_was_read_goes_nowhere_else()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>(s_secondIsFallback) { ["Timeout"] = "1000" })
            .StartAsync();
        env.Regions[0].AnswersUnread = true;
        env.Regions[0].Hang();

        var sending = SendAsync(env, HttpMethod.Post, RandomNumberGenerator.GetBytes(10_000), expectContinue: true);
        await env.Regions[0].Arrived.Task.WaitAsync(s_bound);
        await env.Clock.WhenArmedAsync().WaitAsync(s_bound);
        env.Clock.Advance(TimeSpan.FromSeconds(1));
        using var response = await sending.WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Single(env.Regions[0].Requests);
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task A_backend_that_reads_part_of_a_body_then_resets_is_not_sent_it_again_nor_is_another()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(s_secondIsFallback).StartAsync();
        env.Regions[0].AnswersUnread = true;
        env.Regions[0].Answer = async context =>
        {
            await context.Request.Body.ReadAtLeastAsync(new byte[1000], 1000);
            context.Abort();
        };

        using var response = await SendAsync(env, HttpMethod.Post, RandomNumberGenerator.GetBytes(1_000_000), expectContinue: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Single(env.Regions[0].Requests);
        Assert.Empty(env.Regions[1].Requests);
    }

    // Framings of "a body" a caller can choose: a GET, HEAD or OPTIONS with one is not a body-less read, and a POST
    // with an empty one (Content-Length: 0, or chunked with only its last chunk) is still a POST.
    [Theory]
    [InlineData("GET", 10, false)]
    [InlineData("OPTIONS", 10, false)]
    [InlineData("HEAD", 0, true)]
    [InlineData("GET", 0, true)]
    [InlineData("POST", 0, false)]
    [InlineData("POST", 0, true)]
    public async Task A_request_with_any_body_or_none_but_not_a_read_answered_503_is_not_sent_to_another_backend(string method, int length, bool chunked)
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(s_secondIsFallback).StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using var response = await SendAsync(env, new HttpMethod(method), new byte[length], expectContinue: false, chunked);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "A"), (response.StatusCode, StandInRegion.AnsweredBy(response)));
        Assert.Equal([length], env.Regions[0].Requests.Select(r => r.BodyLength));
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task Callers_whose_bodies_a_backend_refuses_as_too_large_do_not_open_its_circuit()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>(s_secondIsFallback) { ["FailureThreshold"] = "2" })
            .StartAsync();
        env.Regions[0].MaxRequestBodySize = 1000;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var refused = await SendAsync(env, HttpMethod.Post, new byte[4_000_000], expectContinue: false);
            statuses.Add(refused.StatusCode);
        }

        using var next = await env.GetAsync().WaitAsync(s_bound);

        Assert.All(statuses, status => Assert.NotEqual(HttpStatusCode.OK, status));
        Assert.Equal((HttpStatusCode.OK, "A"), (next.StatusCode, StandInRegion.AnsweredBy(next)));
        Assert.Empty(env.Regions[1].Requests);
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
    }

    [Fact]
    public async Task Callers_who_abort_while_a_backend_is_slow_do_not_open_its_circuit()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>(s_secondIsFallback) { ["FailureThreshold"] = "1" })
            .StartAsync();
        env.Regions[0].Hang();

        for (var i = 0; i < 3; i++)
        {
            env.Regions[0].Reset();
            using var abort = new CancellationTokenSource();
            var sending = env.Caller.GetAsync(new Uri("/hello", UriKind.Relative), abort.Token);
            await env.Regions[0].Arrived.Task.WaitAsync(s_bound);
            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(s_bound));
        }

        await env.Logs.WaitForAsync("CallerAborted", s_bound);
        env.Regions[0].Answer = null;
        using var next = await env.GetAsync().WaitAsync(s_bound);

        Assert.Equal((HttpStatusCode.OK, "A"), (next.StatusCode, StandInRegion.AnsweredBy(next)));
        Assert.Empty(env.Regions[1].Requests);
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
    }

    [Fact]
    public async Task A_users_retry_handler_resends_a_GET_to_the_same_backend_with_its_key_then_failover_moves_on()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(s_secondIsFallback)
            .ConfigureServices(RetryEverything)
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using var response = await env.GetAsync().WaitAsync(s_bound);

        Assert.Equal((HttpStatusCode.OK, "B"), (response.StatusCode, StandInRegion.AnsweredBy(response)));
        Assert.Equal(RetryPolicies.Everything().MaxRetryAttempts + 1, env.Regions[0].Requests.Count);
        Assert.All(env.Regions.SelectMany(region => region.Requests), received => Assert.True(received.OwnKey, "a region was sent another region's key"));
    }

    [Fact]
    public async Task A_users_retry_handler_that_resends_a_POSTs_body_gets_refused_and_no_backend_sees_it_twice()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(s_secondIsFallback)
            .ConfigureServices(RetryEverything)
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        var body = RandomNumberGenerator.GetBytes(10_000);

        using var response = await env.PostAsync(body).WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal([body.Length], env.Regions[0].Requests.Select(r => r.BodyLength));
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task A_caller_dripping_its_body_does_not_hold_a_half_open_backends_trial()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(s_opensAtOnce).StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using (await env.GetAsync().WaitAsync(s_bound))
        {
        }

        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromSeconds(10));
        var pulled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new PushContent(async stream =>
        {
            pulled.TrySetResult();
            await stream.WriteAsync(new byte[1]);
            await stream.FlushAsync();
            await release.Task;
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hello") { Content = content };

        // The caller is asked for its body (100 Continue) only once the proxy sends it to A, as A's trial.
        request.Headers.ExpectContinue = true;
        var dripping = env.Caller.SendAsync(request);
        await pulled.Task.WaitAsync(s_bound);
        var meanwhile = await env.AnsweredByAsync(3);
        release.SetResult();
        using var dripped = await dripping.WaitAsync(s_bound);

        Assert.Equal(["A", "A", "A"], meanwhile);
        Assert.Equal((HttpStatusCode.OK, "A"), (dripped.StatusCode, StandInRegion.AnsweredBy(dripped)));
        Assert.DoesNotContain(env.Regions[1].Requests, r => r.Method == "POST");
    }

    // Values the typed header cannot read (overflowing, negative, not a date) are no Retry-After: the failure counts as
    // any other, and the circuit opens for BreakDuration, neither forever nor never.
    [Theory]
    [InlineData("99999999999999999999")]
    [InlineData("-5")]
    [InlineData("soon, please")]
    public async Task A_Retry_After_the_header_cannot_read_opens_the_circuit_for_BreakDuration(string retryAfter)
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(s_opensAtOnce).StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable, retryAfter);

        using var throttled = await env.GetAsync().WaitAsync(s_bound);
        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromMilliseconds(9_999));
        using var justBefore = await env.GetAsync().WaitAsync(s_bound);
        env.Clock.Advance(TimeSpan.FromMilliseconds(1));
        using var after = await env.GetAsync().WaitAsync(s_bound);

        Assert.Equal(["B", "B", "A"], new[] { throttled, justBefore, after }.Select(StandInRegion.AnsweredBy));
        var opened = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Contains("10000 ms", opened.Text, StringComparison.Ordinal);
    }

    // A handler the app added that refuses a request before it reaches the connections (as a client-wide circuit breaker
    // does once open, or a rate limiter) says nothing of the backend: the request, body and all, goes to the next backend,
    // and the refused backend's circuit stays closed.
    [Fact]
    public async Task A_request_an_app_handler_refused_fails_over_without_counting_against_the_backend()
    {
        var refusedPort = 0;
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(s_opensAtOnce)
            .ConfigureServices(builder =>
            builder.Services.AddHttpClient(FunctionForwarder.ClientNameFor("Hello"))
                .AddHttpMessageHandler(() => new RefusingHandler(() => Volatile.Read(ref refusedPort))))
            .StartAsync();
        Volatile.Write(ref refusedPort, env.Regions[0].Port);

        using var refused = await SendAsync(env, HttpMethod.Post, [1, 2, 3], expectContinue: false);
        Volatile.Write(ref refusedPort, 0);
        using var after = await env.GetAsync().WaitAsync(s_bound);

        Assert.Equal(["B", "A"], new[] { refused, after }.Select(StandInRegion.AnsweredBy));
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Single(env.Regions[1].Requests, r => r.Method == "POST");
        Assert.DoesNotContain(env.Regions[0].Requests, r => r.Method == "POST");
    }

    private static void RetryEverything(WebApplicationBuilder builder) =>
        builder.Services.AddHttpClient(FunctionForwarder.ClientNameFor("Hello"))
            .AddResilienceHandler("retry", pipeline => pipeline.AddRetry(RetryPolicies.Everything()));

    private static Task<HttpResponseMessage> SendAsync(ProxyTestHost env, HttpMethod method, byte[] body, bool expectContinue, bool chunked = false)
    {
        var request = new HttpRequestMessage(method, "/hello");
        if (body.Length > 0 || chunked || method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(body);
        }

        request.Headers.ExpectContinue = expectContinue;
        request.Headers.TransferEncodingChunked = chunked;
        return env.Caller.SendAsync(request).WaitAsync(s_bound);
    }

    private sealed class RefusingHandler(Func<int> refusedPort) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.Port == refusedPort()
                ? Task.FromException<HttpResponseMessage>(new InvalidOperationException("Refused by the app's own handler."))
                : base.SendAsync(request, cancellationToken);
    }
}
