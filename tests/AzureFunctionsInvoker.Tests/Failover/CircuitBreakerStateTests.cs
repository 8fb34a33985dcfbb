using System.Diagnostics.Metrics;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>
/// The half-open circuit's trial: one request at a time, however many see the break end at once, and only that
/// request's outcome or end lets the next one in.
/// </summary>
public sealed class CircuitBreakerStateTests
{
    private static readonly TimeSpan s_break = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Of_many_concurrent_choosers_only_one_gets_the_trial()
    {
        var state = HalfOpen();

        var trials = Concurrently(64, () => state.TryEnter(out var trial) ? trial : (long?)null);

        var admitted = Assert.Single(trials, t => t is not null);
        Assert.NotEqual(0, admitted!.Value);
        Assert.False(state.IsAvailable);
    }

    [Fact]
    public void Of_many_concurrent_requests_only_one_goes_to_a_half_open_backend_and_the_rest_to_the_next_priority()
    {
        var first = HalfOpen();
        var second = new CircuitBreaker.CircuitState("hello", "b", 80, _time, metrics: null, NullLogger.Instance);
        var pool = Pool(first, second);

        var chosen = Concurrently(64, () => (Backend: pool.First(out var trial), Trial: trial));

        var trial = Assert.Single(chosen, c => c.Backend == 0);
        Assert.NotEqual(0, trial.Trial);
        Assert.All(chosen.Where(c => c.Backend != 0), c => Assert.Equal((1, 0L), c));
    }

    [Fact]
    public void The_outcome_of_a_request_that_was_not_the_trial_does_not_let_a_second_trial_in()
    {
        var state = HalfOpen();
        Assert.True(state.TryEnter(out var trial));

        // A request sent before the circuit opened fails now, which opens it again; its break ends while the trial still runs.
        state.Failed("503", threshold: 5, s_break, retryAfter: null, trial: 0);
        _time.Advance(s_break);

        Assert.False(state.TryEnter(out _));
        state.Succeeded(trial);
        Assert.True(state.TryEnter(out var afterwards));
        Assert.Equal(0, afterwards);
    }

    [Fact]
    public void A_trial_that_ended_cannot_end_the_next_one()
    {
        var state = HalfOpen();
        Assert.True(state.TryEnter(out var earlier));
        state.Failed("503", threshold: 5, s_break, retryAfter: null, earlier);
        _time.Advance(s_break);
        Assert.True(state.TryEnter(out var later));

        // The earlier request's stream ends now, handing back its trial again.
        state.End(earlier);

        Assert.False(state.TryEnter(out _));
        Assert.NotEqual(earlier, later);
    }

    [Fact]
    public void A_trial_without_an_outcome_lets_the_next_request_try_and_a_failed_one_opens_the_circuit_again()
    {
        var state = HalfOpen();
        Assert.True(state.TryEnter(out var abandoned));
        state.End(abandoned);
        Assert.True(state.TryEnter(out var failing));
        Assert.NotEqual(0, failing);

        state.Failed("503", threshold: 5, s_break, retryAfter: null, failing);

        Assert.True(state.IsOpen);
        Assert.False(state.TryEnter(out _));
    }

    [Fact]
    public void When_another_request_took_the_trial_a_failed_over_request_goes_to_its_fallback_outside_any_trial()
    {
        var first = HalfOpen();
        var second = new CircuitBreaker.CircuitState("hello", "b", 80, _time, metrics: null, NullLogger.Instance);
        var pool = Pool(first, second);
        Assert.Equal(0, pool.Next(tried: 0b10));
        Assert.True(first.TryEnter(out _));

        var backend = pool.Enter(tried: 0b10, fallback: 0, out var trial);

        Assert.Equal((0, 0L), (backend, trial));
    }

    [Fact]
    public void A_trial_that_succeeded_leaves_the_next_break_its_own_trial()
    {
        var state = HalfOpen();
        Assert.True(state.TryEnter(out var trial));
        state.Succeeded(trial);
        Assert.False(state.IsOpen);

        state.Failed("503", threshold: 1, s_break, retryAfter: null, trial: 0);
        _time.Advance(s_break);

        Assert.True(state.TryEnter(out var next));
        Assert.NotEqual(0, next);
    }

    [Fact]
    public void The_break_ends_exactly_when_its_duration_has_passed()
    {
        var state = new CircuitBreaker.CircuitState("hello", "a", 80, _time, metrics: null, NullLogger.Instance);
        state.Failed("503", threshold: 1, s_break, retryAfter: null, trial: 0);
        _time.Advance(s_break - TimeSpan.FromTicks(1));
        Assert.True(state.IsOpen);
        Assert.False(state.IsAvailable);

        _time.Advance(TimeSpan.FromTicks(1));

        Assert.False(state.IsOpen);
        Assert.True(state.IsAvailable);
    }

    [Fact]
    public void Failures_open_the_circuit_only_in_a_row_and_a_success_closes_it()
    {
        var state = new CircuitBreaker.CircuitState("hello", "a", 80, _time, metrics: null, NullLogger.Instance);

        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);
        state.Succeeded(trial: 0);
        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);
        Assert.False(state.IsOpen);
        Assert.Equal(0, state.OpenUntil);

        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);
        Assert.True(state.IsOpen);

        state.Succeeded(trial: 0);
        Assert.False(state.IsOpen);
        Assert.Equal(0, state.OpenUntil);
        Assert.True(state.TryEnter(out var trial));
        Assert.Equal(0, trial);
    }

    [Fact]
    public void A_retry_after_opens_the_circuit_for_that_long_at_the_first_failure()
    {
        var state = new CircuitBreaker.CircuitState("hello", "a", 80, _time, metrics: null, NullLogger.Instance);

        state.Failed("503", threshold: 5, s_break, retryAfter: TimeSpan.FromSeconds(3), trial: 0);

        Assert.True(state.IsOpen);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(state.IsOpen);
    }

    [Fact]
    public void Opening_and_closing_are_logged_and_counted_once_each_with_the_reason_and_the_break()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ProxyMetrics(services.GetRequiredService<IMeterFactory>());
        using var changes = new MetricCollector<long>(metrics.CircuitChanges);
        using var logs = new CapturingLoggerProvider();
        var state = new CircuitBreaker.CircuitState("hello", "a", 8080, _time, metrics, logs.CreateLogger("circuit"));

        state.Succeeded(trial: 0);
        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);
        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);

        // A request forced to the open backend (every backend out) fails again: open longer, and nothing new said.
        _time.Advance(s_break / 2);
        state.Failed("503", threshold: 2, s_break, retryAfter: null, trial: 0);
        _time.Advance(s_break / 2);
        Assert.True(state.IsOpen);

        _time.Advance(s_break / 2);
        Assert.True(state.TryEnter(out var trial));
        state.Failed("timeout", threshold: 2, s_break, retryAfter: null, trial);
        _time.Advance(s_break);
        state.Failed("502", threshold: 2, s_break, retryAfter: TimeSpan.FromSeconds(3), trial: 0);
        state.Succeeded(trial: 0);

        var lines = logs.Entries.ToArray();
        Assert.Equal(["CircuitOpened", "CircuitOpened", "CircuitOpened", "CircuitClosed"], lines.Select(e => e.EventId.Name));
        Assert.Contains("The circuit of the backend a:8080 of the Azure Function 'hello' opened (503, 2 failures in a row): no request goes to it for 10000 ms", lines[0].Text, StringComparison.Ordinal);
        Assert.Contains("opened (timeout on trial): no request goes to it for 10000 ms", lines[1].Text, StringComparison.Ordinal);
        Assert.Contains("opened (502 with Retry-After): no request goes to it for 3000 ms", lines[2].Text, StringComparison.Ordinal);
        Assert.Contains("The circuit of the backend a:8080 of the Azure Function 'hello' closed", lines[3].Text, StringComparison.Ordinal);
        Assert.Equal(
            ["open a:8080 hello", "open a:8080 hello", "open a:8080 hello", "closed a:8080 hello"],
            changes.GetMeasurementSnapshot().Select(m =>
                $"{m.Tags["azurefunctionsinvoker.circuit.state"]} {m.Tags["server.address"]}:{m.Tags["server.port"]} {m.Tags["faas.invoked_name"]}"));
    }

    private CircuitBreaker.CircuitState HalfOpen()
    {
        var state = new CircuitBreaker.CircuitState("hello", "a", 80, _time, metrics: null, NullLogger.Instance);
        state.Failed("503", threshold: 1, s_break, retryAfter: null, trial: 0);
        Assert.False(state.TryEnter(out _));
        _time.Advance(s_break);
        return state;
    }

    private BackendPool Pool(CircuitBreaker.CircuitState first, CircuitBreaker.CircuitState second)
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", AppName = "a" };
        Backend Target(CircuitBreaker.CircuitState state) =>
            new("hello", options, ConnectionSettings.From(options), new Uri($"http://{state.Endpoint}/api/hello"));
        return new BackendPool([Target(first), Target(second)], [new CircuitBreaker(first, options, _time), new CircuitBreaker(second, options, _time)], [1, 2], [1, 1]);
    }

    // Runs choose on that many threads released at once, and returns what each chose.
    private static T[] Concurrently<T>(int threads, Func<T> choose)
    {
        using var start = new Barrier(threads);
        var results = new T[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = choose();
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        return results;
    }
}
