using System.Net.Http.Headers;
using AzureFunctionsInvoker.Failover;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>
/// <c>Retry-After</c> opens a circuit at once only on a 503, where the whole backend says it is unavailable; a 429's
/// (usually one caller's quota) sets the break only when the threshold opens the circuit, and on any other failure it
/// is ignored: the failures in a row count towards <c>FailureThreshold</c> as usual.
/// </summary>
public sealed class CircuitBreakerRetryAfterTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(502)]
    [InlineData(504)]
    public void A_failure_with_retry_after_below_the_threshold_leaves_the_circuit_closed(int status)
    {
        var breaker = Breaker(threshold: 3);

        breaker.Answered(status, new RetryConditionHeaderValue(TimeSpan.FromSeconds(30)), trial: 0);
        breaker.Answered(status, new RetryConditionHeaderValue(TimeSpan.FromSeconds(30)), trial: 0);

        Assert.False(breaker.State.IsOpen);
        Assert.Equal(0, breaker.State.OpenUntil);
        Assert.True(breaker.State.TryEnter(out _));
    }

    [Fact]
    public void The_failure_that_reaches_the_threshold_opens_for_the_break_duration_not_its_retry_after()
    {
        var breaker = Breaker(threshold: 2, breakDuration: 10_000);

        breaker.Answered(502, new RetryConditionHeaderValue(TimeSpan.FromSeconds(50)), trial: 0);
        breaker.Answered(502, new RetryConditionHeaderValue(TimeSpan.FromSeconds(50)), trial: 0);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(breaker.State.IsOpen);
    }

    [Fact]
    public void A_503_with_retry_after_opens_the_circuit_at_once_for_that_long()
    {
        var breaker = Breaker(threshold: 3);

        breaker.Answered(503, new RetryConditionHeaderValue(TimeSpan.FromSeconds(5)), trial: 0);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(breaker.State.IsOpen);
    }

    private CircuitBreaker Breaker(int threshold, int breakDuration = 30_000) => new(
        new CircuitBreaker.CircuitState("hello", "myapp.azurewebsites.net", 443, _time, metrics: null, NullLogger.Instance),
        new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", FailureThreshold = threshold, BreakDuration = breakDuration },
        _time);
}
