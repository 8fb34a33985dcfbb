using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

public sealed class BackendPoolTests
{
    private static readonly AzureFunctionProxyOptions s_options = new() { FunctionName = "hello", AppName = "a", ApiKey = "the-key", FailureThreshold = 1 };
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_pool_of_one_has_nowhere_else_to_go_and_no_circuit()
    {
        var pool = BackendPool.Of(Backend("one"));

        Assert.False(pool.HasFailover);
        Assert.Equal(0, pool.First(out var trial));
        Assert.Equal(0L, trial);
        Assert.Equal(-1, pool.Next(tried: 0));
        Assert.Equal(-1, pool.Next(tried: 1));
        Assert.Null(pool.CircuitOf(0));
    }

    [Fact]
    public void Backends_go_by_priority_and_the_next_is_the_first_untried_whose_circuit_is_closed()
    {
        var (low, high) = (State("low"), State("high"));
        var pool = Pool((Backend("low"), low, 2), (Backend("high"), high, 1));

        Assert.Equal(["high", "low"], pool.Backends.Select(b => b.ServerAddress));
        Assert.Equal(0, pool.First(out _));
        Assert.Equal(1, pool.Next(tried: 1));

        low.Failed("503", threshold: 1, TimeSpan.FromSeconds(30), retryAfter: null, trial: 0);
        Assert.Equal(-1, pool.Next(tried: 1));
    }

    [Fact]
    public void An_open_circuit_is_passed_over_and_when_all_are_open_the_one_whose_break_ends_first_is_chosen()
    {
        var (first, second) = (State("first"), State("second"));
        var pool = Pool((Backend("first"), first, 1), (Backend("second"), second, 1));

        first.Failed("503", threshold: 1, TimeSpan.FromSeconds(60), retryAfter: null, trial: 0);
        Assert.All(Enumerable.Range(0, 4), attempt => Assert.Equal(1, pool.First(out _)));

        second.Failed("503", threshold: 1, TimeSpan.FromSeconds(30), retryAfter: null, trial: 0);
        Assert.Equal(1, pool.First(out var trial));
        Assert.Equal(0L, trial);
    }

    [Fact]
    public void A_durable_link_goes_without_the_key_to_the_backend_it_was_made_on_judged_by_its_circuit()
    {
        var (weu, neu) = (State("weu"), State("neu"));
        var pool = Pool((Backend("weu"), weu, 1), (Backend("neu"), neu, 1));

        var keyless = pool.KeylessAt(DurableLink.OriginOf(new Uri("https://neu/api/hello")));

        Assert.NotNull(keyless);
        Assert.False(keyless.HasFailover);
        Assert.Equal("neu", keyless.Backends[0].ServerAddress);
        Assert.Null(keyless.Backends[0].Options.ApiKey);
        Assert.Same(neu, keyless.CircuitOf(0)!.State);
        Assert.Null(pool.KeylessAt("https://gone:443"));
    }

    [Fact]
    public void A_pool_of_ones_durable_links_go_without_the_key_too()
    {
        var keyless = BackendPool.Of(Backend("one")).KeylessAt("https://one:443");

        Assert.Null(keyless!.Backends[0].Options.ApiKey);
        Assert.Null(keyless.CircuitOf(0));
    }

    private static Backend Backend(string host) =>
        new("hello", s_options, ConnectionSettings.From(s_options), new Uri($"https://{host}/api/hello"));

    private CircuitBreaker.CircuitState State(string host) => new("hello", host, 443, _time, metrics: null, NullLogger.Instance);

    private BackendPool Pool(params (Backend Backend, CircuitBreaker.CircuitState State, int Priority)[] backends) => new(
        [.. backends.Select(b => b.Backend)],
        [.. backends.Select(b => new CircuitBreaker(b.State, s_options, _time))],
        [.. backends.Select(b => b.Priority)],
        [.. backends.Select(_ => 1)]);
}
