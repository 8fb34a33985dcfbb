using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Microsoft.Extensions.Http.Resilience on the client <c>AddAzureFunctionProxy()</c> returns, against a function that
/// fails its first call (<c>flaky/1</c>): the recipe's retry resends bodiless GETs and nothing else, and a retry
/// configured for requests with a body is refused by the proxy before the function sees a second, empty or cut body.
/// </summary>
public sealed class ResilienceTests
{
    private const int BodyLength = 100_000;

    [Theory]
    [InlineData("")]        // the function answers 503
    [InlineData("?reset")]  // the function drops the connection: HttpRequestException, no response
    public async Task A_GET_that_meets_a_transient_failure_is_retried_and_the_caller_gets_the_second_answer(string fault)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.Safe(TimeSpan.Zero)))
            .StartAsync();

        using var response = await env.Caller.GetAsync($"/mytest{fault}");
        var echo = await StandInFunction.Echo.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET", echo.Method);
        Assert.Equal([0L, 0L], env.Function.FlakyCalls);
    }

    [Fact]
    public async Task A_resilience_pipeline_that_gives_up_gets_the_caller_a_502_not_an_unhandled_exception()
    {
        var clock = new ObservableClock();
        var attemptTimeout = TimeSpan.FromMilliseconds(200);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("hang")
            .ConfigureServices(builder =>
            {
                clock.UseIn(builder);
                builder.Services.AddAzureFunctionProxy().AddResilienceHandler("timeout", pipeline => pipeline.AddTimeout(attemptTimeout));
            })
            .StartAsync();

        var sending = env.Caller.GetAsync("/mytest");
        await env.Function.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Advance(attemptTimeout); // Polly's timeout, far short of the proxy's own
        using var response = await sending;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable" && e.Text.Contains("TimeoutRejectedException", StringComparison.Ordinal));
        await env.Function.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("", false, HttpStatusCode.ServiceUnavailable)]
    [InlineData("", true, HttpStatusCode.ServiceUnavailable)]
    [InlineData("?reset", false, HttpStatusCode.BadGateway)]
    [InlineData("?reset", true, HttpStatusCode.BadGateway)]
    public async Task A_POST_with_a_streamed_body_that_meets_a_transient_failure_is_sent_once(string fault, bool chunked, HttpStatusCode expected)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.Safe(TimeSpan.Zero)))
            .StartAsync();

        using var response = await env.Caller.PostAsync($"/mytest{fault}", Body(chunked));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal([BodyLength], env.Function.FlakyCalls);
    }

    [Fact]
    public async Task A_GET_with_a_body_is_not_retried_by_the_recipe()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.Safe(TimeSpan.Zero)))
            .StartAsync();

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/mytest") { Content = Body(chunked: false) });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal([BodyLength], env.Function.FlakyCalls);
    }

    // In 10.11 DisableForUnsafeHttpMethods() also finds the request of a failure without a response (a dropped connection).
    [Theory]
    [InlineData("", HttpStatusCode.ServiceUnavailable)]
    [InlineData("?reset", HttpStatusCode.BadGateway)]
    public async Task DisableForUnsafeHttpMethods_keeps_a_POST_from_being_retried(string fault, HttpStatusCode expected)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.UnsafeMethodsDisabled()))
            .StartAsync();

        using var response = await env.Caller.PostAsync($"/mytest{fault}", Body(chunked: false));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal([BodyLength], env.Function.FlakyCalls);
    }

    // It goes by the method alone, and the proxy forwards a GET's body as the plugin does: the recipe also checks the content.
    [Fact]
    public async Task DisableForUnsafeHttpMethods_alone_still_retries_a_GET_with_a_body_and_the_proxy_refuses()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.UnsafeMethodsDisabled()))
            .StartAsync();

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/mytest") { Content = Body(chunked: false) });

        AssertResendRefused(env, response);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("", true)]
    [InlineData("?reset", false)]
    [InlineData("?reset", true)]
    public async Task A_retry_of_a_streamed_body_fails_with_500_and_the_function_never_sees_a_second_body(string fault, bool chunked)
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("flaky/1")
            .ConfigureServices(RetryPolicies.On(RetryPolicies.Everything()))
            .StartAsync();

        using var response = await env.Caller.PostAsync($"/mytest{fault}", Body(chunked));

        AssertResendRefused(env, response);
    }

    [Fact]
    public async Task The_recipe_gives_up_after_its_attempts_and_the_caller_gets_the_last_answer()
    {
        var retry = RetryPolicies.Safe(TimeSpan.Zero);
        await using var env = await new ProxyHostBuilder().MountFunction("flaky/5").ConfigureServices(RetryPolicies.On(retry)).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(retry.MaxRetryAttempts + 1, env.Function.FlakyCalls.Count);
    }

    // Polly's timeouts and the proxy's own Timeout run on the app's TimeProvider: a minute is past both of Polly's and
    // short of the proxy's ten. (With the headers still awaited, the same minute ends the request: see docs/resilience.md.)
    [Fact]
    public async Task The_standard_handlers_timeouts_end_at_the_response_headers_and_never_cut_a_streaming_download()
    {
        var time = new FakeTimeProvider();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("lockstep-download")
            .ConfigureServices(builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(time);
                builder.Services.AddAzureFunctionProxy().AddStandardResilienceHandler();
            })
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]); // the first half; the function holds the rest back
        time.Advance(TimeSpan.FromMinutes(1)); // past AttemptTimeout (10 s) and TotalRequestTimeout (30 s)
        env.Function.Proceed.TrySetResult();
        var (rest, _) = await StandInFunction.HashAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1024, rest);
    }

    // The first attempt's body arrived whole; no second request, empty or cut off, reached the function.
    private static void AssertResendRefused(ProxyTestHost env, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal([BodyLength], env.Function.FlakyCalls);
        Assert.Single(env.Function.ReceivedTargets);
        Assert.Contains("requests with a body cannot be retried", env.Logs.AllText, StringComparison.Ordinal);
    }

    // A known Content-Length, or chunked: a stream whose length the client cannot know.
    private static HttpContent Body(bool chunked) =>
        chunked ? new StreamContent(Pattern.Stream(BodyLength)) : new ByteArrayContent(new byte[BodyLength]);
}
