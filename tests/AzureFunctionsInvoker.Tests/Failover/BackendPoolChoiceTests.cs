using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>
/// <see cref="BackendPool"/> on its own: the order of the backends, the first choice (lowest priority with a circuit
/// that lets the request in, weighted within it; with every circuit open, the one whose break ends first), and the
/// next one after a failure.
/// </summary>
public sealed class BackendPoolChoiceTests
{
    private static readonly TimeSpan s_break = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Backends_are_ordered_by_priority_configuration_order_within_one()
    {
        var pool = Pool(["a", "b", "c", "d"], priorities: [2, 1, 2, 1]);

        Assert.Equal(["b", "d", "a", "c"], pool.Backends.Select(b => b.ServerAddress[..1]));
        Assert.Equal([1, 1, 2, 2], pool.Priorities);
    }

    [Fact]
    public void First_goes_round_the_lowest_priority_by_weight_and_never_to_a_higher_one()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 1, 2], weights: [3, 1, 5]);

        var chosen = Enumerable.Range(0, 8).Select(turn => pool.First(out _)).ToArray();

        Assert.Equal([0, 0, 1, 0, 0, 0, 1, 0], chosen);
    }

    [Fact]
    public void First_skips_an_open_circuit_for_the_next_in_its_group_then_the_next_priority()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 1, 2]);
        Open(pool.CircuitOf(0));

        Assert.Equal([1, 1], new[] { pool.First(out var trial), pool.First(out _) });
        Assert.Equal(0, trial);

        Open(pool.CircuitOf(1));
        Assert.Equal(2, pool.First(out _));
    }

    [Fact]
    public void With_every_circuit_open_first_is_the_one_whose_break_ends_first()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 2, 3]);
        Open(pool.CircuitOf(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Open(pool.CircuitOf(2));
        Open(pool.CircuitOf(0));

        Assert.Equal(1, pool.First(out var trial));
        Assert.Equal(0, trial);
    }

    [Fact]
    public void A_turn_that_falls_on_an_open_circuit_goes_to_the_next_turn_of_the_cycle()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 1, 1]);
        Open(pool.CircuitOf(1));

        var chosen = Enumerable.Range(0, 6).Select(turn => pool.First(out _)).ToArray();

        Assert.Equal([0, 2, 2, 0, 2, 2], chosen);
    }

    [Fact]
    public void With_every_circuit_open_and_their_breaks_ending_together_first_is_the_first_by_priority()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 2, 3]);
        Open(pool.CircuitOf(0));
        Open(pool.CircuitOf(1));
        Open(pool.CircuitOf(2));

        Assert.Equal(0, pool.First(out var trial));
        Assert.Equal(0, trial);
    }

    [Fact]
    public void A_half_open_backend_is_first_as_its_trial_with_a_ticket()
    {
        var pool = Pool(["a", "b"], priorities: [1, 2]);
        Open(pool.CircuitOf(0));
        _time.Advance(s_break);

        Assert.Equal(0, pool.First(out var trial));
        Assert.NotEqual(0, trial);
        Assert.Equal(1, pool.First(out var none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void Next_is_the_first_by_priority_not_tried_and_available_or_none()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 2, 3]);

        Assert.Equal(1, pool.Next(tried: 0b001));
        Assert.Equal(0, pool.Next(tried: 0b110));
        Assert.Equal(2, pool.Next(tried: 0b011));
        Assert.Equal(-1, pool.Next(tried: 0b111));

        Open(pool.CircuitOf(1));
        Assert.Equal(2, pool.Next(tried: 0b001));
    }

    [Fact]
    public void Enter_takes_the_first_not_tried_that_lets_it_in_else_the_fallback_outside_any_trial()
    {
        var pool = Pool(["a", "b", "c"], priorities: [1, 2, 3]);
        Open(pool.CircuitOf(1));

        Assert.Equal((2, 0L), (pool.Enter(tried: 0b001, fallback: 0, out var trial), trial));
        Assert.Equal((0, 0L), (pool.Enter(tried: 0b110, fallback: 2, out trial), trial));

        Open(pool.CircuitOf(2));
        Assert.Equal((1, 0L), (pool.Enter(tried: 0b001, fallback: 1, out trial), trial));
    }

    private static void Open(CircuitBreaker? circuit) =>
        circuit!.State.Failed("503", threshold: 1, s_break, retryAfter: null, trial: 0);

    private BackendPool Pool(string[] hosts, int[] priorities, int[]? weights = null)
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", AppName = "a" };
        var backends = hosts.Select(host => new Backend("hello", options, ConnectionSettings.From(options), new Uri($"http://{host}/api/hello"))).ToArray();
        var circuits = hosts.Select(host => new CircuitBreaker(new CircuitBreaker.CircuitState("hello", host, 80, _time, metrics: null, NullLogger.Instance), options, _time)).ToArray();
        return new BackendPool(backends, circuits, priorities, weights ?? [.. priorities.Select(_ => 1)]);
    }
}
