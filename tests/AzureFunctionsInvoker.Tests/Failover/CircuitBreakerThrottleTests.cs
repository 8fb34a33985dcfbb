using System.Net.Http.Headers;
using AzureFunctionsInvoker.Failover;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>
/// Failures in a row that end on a 429 open the circuit only once they have lasted a <c>BreakDuration</c> with no
/// request answered between: the proxy cannot tell callers apart, so a count alone would let one caller's burst of 429s
/// (its own quota) move every other caller off a healthy backend. A backend throttling everyone that long is out for one
/// break, its capped <c>Retry-After</c>; other failures open at the threshold as before.
/// </summary>
public sealed class CircuitBreakerThrottleTests
{
    private static readonly RetryConditionHeaderValue s_retryAfter = new(TimeSpan.FromSeconds(60));

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_burst_of_429s_as_long_as_the_threshold_leaves_the_circuit_closed()
    {
        var breaker = Breaker(threshold: 3);

        for (var i = 0; i < 10; i++)
        {
            breaker.Answered(429, s_retryAfter, trial: 0);
        }

        Assert.False(breaker.State.IsOpen);
        Assert.True(breaker.State.TryEnter(out _));
    }

    [Fact]
    public void Throttled_answers_in_a_row_for_a_BreakDuration_open_the_circuit_for_their_Retry_After()
    {
        var breaker = Breaker(threshold: 3, breakDuration: 30_000);

        breaker.Answered(429, s_retryAfter, trial: 0);
        breaker.Answered(429, s_retryAfter, trial: 0);
        _time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        breaker.Answered(429, s_retryAfter, trial: 0);
        Assert.False(breaker.State.IsOpen);

        _time.Advance(TimeSpan.FromTicks(1));
        breaker.Answered(429, s_retryAfter, trial: 0);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(breaker.State.IsOpen);
    }

    [Fact]
    public void Any_request_answered_between_starts_the_429s_over()
    {
        var breaker = Breaker(threshold: 3, breakDuration: 30_000);

        for (var second = 0; second < 120; second += 10)
        {
            breaker.Answered(429, s_retryAfter, trial: 0);
            breaker.Answered(429, s_retryAfter, trial: 0);
            breaker.Answered(429, s_retryAfter, trial: 0);
            if (second % 20 == 0)
            {
                breaker.Answered(200, retryAfter: null, trial: 0);
            }

            _time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.False(breaker.State.IsOpen);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(504)]
    public void Failures_in_a_row_that_end_on_another_failure_status_open_at_the_threshold_at_once(int status)
    {
        var breaker = Breaker(threshold: 3);

        breaker.Answered(429, s_retryAfter, trial: 0);
        breaker.Answered(429, s_retryAfter, trial: 0);
        breaker.Answered(status, retryAfter: null, trial: 0);

        Assert.True(breaker.State.IsOpen);
    }

    [Fact]
    public void A_429_on_the_half_open_trial_hands_the_trial_to_the_next_request_whose_success_closes_the_circuit()
    {
        // A genuine outage opened the circuit; the backend is back, but one throttled caller asks just as each break
        // ends. Its 429 must not open the circuit again (that kept a recovered backend out for as long as it kept asking).
        var breaker = HalfOpen();
        Assert.True(breaker.State.TryEnter(out var throttled));

        breaker.Answered(429, s_retryAfter, throttled);

        Assert.False(breaker.State.IsOpen);
        Assert.True(breaker.State.TryEnter(out var other));
        Assert.NotEqual(0, other);
        Assert.False(breaker.State.TryEnter(out _));
        breaker.Answered(200, retryAfter: null, other);
        Assert.Equal(0, breaker.State.OpenUntil);
    }

    [Fact]
    public void Trials_answered_429_for_a_BreakDuration_open_the_circuit_again_for_their_Retry_After()
    {
        var breaker = HalfOpen();
        for (var second = 0; second < 10; second++)
        {
            Assert.True(breaker.State.TryEnter(out var early));
            breaker.Answered(429, s_retryAfter, early);
            Assert.False(breaker.State.IsOpen);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(breaker.State.TryEnter(out var trial));
        breaker.Answered(429, s_retryAfter, trial);

        Assert.True(breaker.State.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.True(breaker.State.IsOpen);
    }

    [Fact]
    public void Another_failure_on_the_half_open_trial_still_opens_the_circuit_again()
    {
        var breaker = HalfOpen();
        Assert.True(breaker.State.TryEnter(out var trial));

        breaker.Answered(502, retryAfter: null, trial);

        Assert.True(breaker.State.IsOpen);
    }

    // A circuit a 502 opened for 10 s, the break just over.
    private CircuitBreaker HalfOpen()
    {
        var breaker = Breaker(threshold: 1, breakDuration: 10_000);
        breaker.Answered(502, retryAfter: null, trial: 0);
        _time.Advance(TimeSpan.FromSeconds(10));
        return breaker;
    }

    private CircuitBreaker Breaker(int threshold, int breakDuration = 30_000) => new(
        new CircuitBreaker.CircuitState("hello", "myapp.azurewebsites.net", 443, _time, metrics: null, NullLogger.Instance),
        new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", FailureThreshold = threshold, BreakDuration = breakDuration, MaxRetryAfter = 120_000 },
        _time);
}
