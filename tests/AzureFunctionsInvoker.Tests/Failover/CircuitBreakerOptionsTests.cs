using System.Net.Http.Headers;
using AzureFunctionsInvoker.Failover;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>
/// <see cref="CircuitBreaker"/> under the function's options: which statuses are failures, how many in a row open the
/// circuit, for how long, what a success does, and how long a <c>Retry-After</c> may keep it open.
/// </summary>
public sealed class CircuitBreakerOptionsTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(429, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(500, false)]
    [InlineData(404, false)]
    [InlineData(200, false)]
    public void The_default_failures_are_429_502_503_and_504(int status, bool failure) =>
        Assert.Equal(failure, Breaker(new()).IsFailure(status));

    [Fact]
    public void FailureStatusCodes_replaces_the_default_set()
    {
        var breaker = Breaker(new() { FailureStatusCodes = [500] });

        Assert.True(breaker.IsFailure(500));
        Assert.False(breaker.IsFailure(503));
    }

    [Fact]
    public void FailureThreshold_failures_in_a_row_open_the_circuit_for_BreakDuration()
    {
        var breaker = Breaker(new() { FailureThreshold = 3, BreakDuration = 10_000 });

        breaker.Answered(503, retryAfter: null, trial: 0);
        breaker.Unanswered("Timeout", trial: 0);
        Assert.False(breaker.State.IsOpen);
        breaker.Answered(502, retryAfter: null, trial: 0);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromMilliseconds(9_999));
        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(breaker.State.IsOpen);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(404)]
    [InlineData(500)]
    public void An_answer_that_is_no_failure_starts_the_count_over(int status)
    {
        var breaker = Breaker(new() { FailureThreshold = 2 });

        breaker.Answered(503, retryAfter: null, trial: 0);
        breaker.Answered(status, retryAfter: null, trial: 0);
        breaker.Unanswered("ConnectionRefused", trial: 0);

        Assert.False(breaker.State.IsOpen);
        breaker.Unanswered("ConnectionRefused", trial: 0);
        Assert.True(breaker.State.IsOpen);
    }

    [Fact]
    public void A_retry_after_longer_than_MaxRetryAfter_keeps_the_circuit_open_that_long_only()
    {
        var breaker = Breaker(new() { MaxRetryAfter = 5_000 });

        breaker.Answered(503, new RetryConditionHeaderValue(TimeSpan.FromHours(1)), trial: 0);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(breaker.State.IsOpen);
    }

    [Fact]
    public void A_retry_after_date_is_read_on_the_apps_clock()
    {
        var breaker = Breaker(new());

        breaker.Answered(503, new RetryConditionHeaderValue(_time.GetUtcNow().AddSeconds(20)), trial: 0);

        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(breaker.State.IsOpen);
    }

    private CircuitBreaker Breaker(AzureFunctionProxyOptions options) => new(
        new CircuitBreaker.CircuitState("hello", "myapp.azurewebsites.net", 443, _time, metrics: null, NullLogger.Instance), options, _time);
}
