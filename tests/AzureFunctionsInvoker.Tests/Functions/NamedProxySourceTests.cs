using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.Functions;

/// <summary>Where a mount finds its function's target: fixed options, or named options followed through reloads.</summary>
public sealed class NamedProxySourceTests : IDisposable
{
    private const string Name = "orders";
    private const string Key = "the-function-key-0123456789";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly FakeOptionsMonitor _monitor = new();
    private readonly CapturingLoggerProvider _logs = new();

    [Fact]
    public void A_fixed_source_gives_the_target_of_its_options_and_not_of_later_changes_to_them()
    {
        var options = Valid("hello");

        using var source = NamedProxy.Source.Fixed(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, new LiveConnectionSettings(), ClientName, Logger);
        options.FunctionName = "changed";

        Assert.Equal("hello", source.Current.Options.FunctionName);
        Assert.Same(source.Current, source.Current);
    }

    [Fact]
    public void A_fixed_source_of_invalid_options_is_refused_without_their_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => NamedProxy.Source.Fixed(OptionsOrigin.Mounted("hello", "/test"), Invalid(), new LiveConnectionSettings(), ClientName, Logger));

        Assert.Equal(Options.DefaultName, error.OptionsName);
        Assert.Contains(nameof(AzureFunctionProxyOptions.ApiKey), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_watched_source_starts_with_its_own_named_options_and_listens_for_reloads()
    {
        _monitor.Set("other", Valid("other"));
        _monitor.Set(Name, Valid("hello"));

        using var source = Watch();

        Assert.Equal("hello", source.Current.Options.FunctionName);
        Assert.Equal(1, _monitor.Listeners);
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public void Invalid_options_at_startup_are_refused_and_nothing_is_left_listening()
    {
        _monitor.Set(Name, Invalid());

        var error = Assert.Throws<OptionsValidationException>(Watch);

        Assert.Equal(Name, error.OptionsName);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _monitor.Listeners);
    }

    [Fact]
    public void A_valid_reload_applies_from_the_next_read_and_is_logged()
    {
        using var source = WatchHello();
        var started = source.Current;

        _monitor.Set(Name, Valid("goodbye"));

        Assert.Equal("goodbye", source.Current.Options.FunctionName);
        Assert.Equal("hello", started.Options.FunctionName); // A request keeps the target it started with.
        var reloaded = Assert.Single(_logs.Entries);
        Assert.Equal("Reloaded", reloaded.EventId.Name);
        Assert.Contains($"'{Name}'", reloaded.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reload_to_the_values_in_use_keeps_the_target_and_logs_nothing()
    {
        using var source = WatchHello();
        var started = source.Current;

        // Configuration reports one change several times over, each with a new instance of the same values.
        _monitor.Set(Name, Valid("hello"));
        _monitor.Set(Name, Valid("hello"));

        Assert.Same(started, source.Current);
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public void An_invalid_reload_is_rejected_naming_the_failures_not_the_key_and_the_last_valid_target_stays()
    {
        using var source = WatchHello();
        var started = source.Current;

        _monitor.Set(Name, Invalid());

        Assert.Same(started, source.Current);
        var rejected = Assert.Single(_logs.Entries);
        Assert.Equal("ReloadRejected", rejected.EventId.Name);
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains($"'{Name}'", rejected.Text, StringComparison.Ordinal);
        Assert.Contains(nameof(AzureFunctionProxyOptions.ApiKey), rejected.Text, StringComparison.Ordinal);
        Assert.Contains(nameof(AzureFunctionProxyOptions.Timeout), rejected.Text, StringComparison.Ordinal);
        _logs.AssertNeverLogged(Key);
    }

    [Fact]
    public void Each_distinct_invalid_reload_is_logged_once()
    {
        using var source = WatchHello();

        _monitor.Set(Name, Invalid());
        _monitor.Set(Name, Invalid());
        _monitor.Set(Name, Invalid(o => o.Keepalive = 0));

        Assert.Equal(["ReloadRejected", "ReloadRejected"], EventNames());
        Assert.Contains(nameof(AzureFunctionProxyOptions.Keepalive), _logs.Entries.Last().Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejection_is_forgotten_once_the_options_return_to_those_in_use()
    {
        using var source = WatchHello();
        var started = source.Current;

        _monitor.Set(Name, Invalid());
        _monitor.Set(Name, Valid("hello")); // Back to what is in use: nothing to apply or log.
        _monitor.Set(Name, Invalid()); // The same mistake made again is reported again.

        Assert.Same(started, source.Current);
        Assert.Equal(["ReloadRejected", "ReloadRejected"], EventNames());
    }

    [Fact]
    public void A_rejection_is_forgotten_once_a_valid_reload_applies()
    {
        using var source = WatchHello();

        _monitor.Set(Name, Invalid());
        _monitor.Set(Name, Valid("goodbye"));
        _monitor.Set(Name, Invalid());

        Assert.Equal("goodbye", source.Current.Options.FunctionName);
        Assert.Equal(["ReloadRejected", "Reloaded", "ReloadRejected"], EventNames());
    }

    [Fact]
    public void A_reload_of_another_name_is_ignored()
    {
        using var source = WatchHello();
        var started = source.Current;

        _monitor.Set("other", Valid("goodbye"));
        _monitor.Set("other", Invalid());

        Assert.Same(started, source.Current);
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public void A_disposed_source_stops_listening()
    {
        var source = WatchHello();

        source.Dispose();
        _monitor.Set(Name, Valid("goodbye"));

        Assert.Equal(0, _monitor.Listeners);
        Assert.Equal("hello", source.Current.Options.FunctionName);
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public void A_reload_before_the_first_read_is_left_to_that_read()
    {
        _monitor.Set(Name, Valid("hello"));
        _monitor.AfterNextListen(() => _monitor.Set(Name, Valid("goodbye")));

        using var source = Watch();

        Assert.Equal("goodbye", source.Current.Options.FunctionName);
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public async Task A_reload_between_the_first_read_and_the_first_target_applies_after_it()
    {
        _monitor.Set(Name, Valid("hello"));
        Task? reload = null;
        _monitor.AfterNextRead(() => reload = _monitor.SetElsewhere(Name, Valid("goodbye")));

        using var source = Watch();
        await reload!.WaitAsync(s_bound);

        Assert.Equal("goodbye", source.Current.Options.FunctionName);
        Assert.Equal(["Reloaded"], EventNames());
    }

    public void Dispose() => _logs.Dispose();

    private ILogger Logger => _logs.CreateLogger(nameof(NamedProxy.Source));

    private NamedProxy.Source Watch() => NamedProxy.Source.Watch(OptionsOrigin.Registered(Name, sectionPath: null), ClientName, _monitor, new LiveConnectionSettings(), Logger);

    private const string ClientName = "AzureFunctionsInvoker.orders";

    private NamedProxy.Source WatchHello()
    {
        _monitor.Set(Name, Valid("hello"));
        return Watch();
    }

    private IEnumerable<string?> EventNames() => _logs.Entries.Select(e => e.EventId.Name);

    private static AzureFunctionProxyOptions Valid(string functionName) => new() { AppName = "myapp", FunctionName = functionName, ApiKey = Key };

    // Two failures, one of them the key's own value: the log must name both and show neither value.
    private static AzureFunctionProxyOptions Invalid(Action<AzureFunctionProxyOptions>? configure = null)
    {
        var options = Valid("hello");
        options.ApiKey = Key + "\n";
        options.Timeout = 0;
        configure?.Invoke(options);
        return options;
    }
}
