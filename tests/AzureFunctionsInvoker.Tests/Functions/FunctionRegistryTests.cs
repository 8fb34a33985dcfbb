using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.Functions;

/// <summary>The app's named functions, one source each, shared by every mount and health check that names it.</summary>
public sealed class FunctionRegistryTests : IDisposable
{
    private readonly FakeOptionsMonitor _monitor = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly LoggerFactory _loggerFactory;

    public FunctionRegistryTests()
    {
        _loggerFactory = new LoggerFactory([_logs]);
    }

    [Fact]
    public void An_unregistered_name_is_refused_saying_how_to_register_it()
    {
        using var registry = Registry("orders");

        var error = Assert.Throws<InvalidOperationException>(() => registry.Get("billing"));

        Assert.Contains("'billing'", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddAzureFunctionProxy(\"billing\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_match_whatever_their_case_and_share_one_source()
    {
        _monitor.Set("orders", Valid("hello"));
        using var registry = Registry("orders");

        Assert.Same(registry.Get("orders"), registry.Get("ORDERS"));
        Assert.Throws<InvalidOperationException>(() => registry.Get("order"));
    }

    [Fact]
    public void Every_user_of_a_name_shares_one_source_so_a_reload_is_applied_and_logged_once()
    {
        _monitor.Set("orders", Valid("hello"));
        using var registry = Registry("orders");

        var mount = registry.Get("orders");
        var healthCheck = registry.Get("orders");
        _monitor.Set("orders", Valid("goodbye"));

        Assert.Same(mount, healthCheck);
        Assert.Equal(1, _monitor.Listeners);
        Assert.Equal("goodbye", mount.Current.Options.FunctionName);
        Assert.Equal(["Reloaded"], _logs.Entries.Select(e => e.EventId.Name));
        Assert.Equal(typeof(FunctionRegistry).FullName, Assert.Single(_logs.Entries).Category);
    }

    [Fact]
    public void Each_name_follows_its_own_options()
    {
        _monitor.Set("orders", Valid("hello"));
        _monitor.Set("billing", Valid("invoices"));
        using var registry = Registry("orders", "billing");

        var orders = registry.Get("orders");
        var billing = registry.Get("billing");
        _monitor.Set("orders", Valid("goodbye"));

        Assert.NotSame(orders, billing);
        Assert.Equal("goodbye", orders.Current.Options.FunctionName);
        Assert.Equal("invoices", billing.Current.Options.FunctionName);
    }

    [Fact]
    public void Options_are_validated_on_first_use_not_before()
    {
        _monitor.Set("orders", new AzureFunctionProxyOptions { FunctionName = "hello" });

        using var registry = Registry("orders");
        var error = Assert.Throws<OptionsValidationException>(() => registry.Get("orders"));

        Assert.Equal("orders", error.OptionsName);
        Assert.Contains(nameof(AzureFunctionProxyOptions.AppName), error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _monitor.Listeners);
    }

    [Fact]
    public void Disposing_the_registry_stops_every_source_listening()
    {
        _monitor.Set("orders", Valid("hello"));
        _monitor.Set("billing", Valid("invoices"));
        var registry = Registry("orders", "billing");
        var orders = registry.Get("orders");
        registry.Get("billing");

        registry.Dispose();
        _monitor.Set("orders", Valid("goodbye"));

        Assert.Equal(0, _monitor.Listeners);
        Assert.Equal("hello", orders.Current.Options.FunctionName);
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        _logs.Dispose();
    }

    private FunctionRegistry Registry(params string[] names) =>
        new(names.Select(name => new RegisteredFunction(name, SectionPath: null)), _monitor, new LiveConnectionSettings(), new CircuitRegistry(TimeProvider.System, metrics: null, _loggerFactory.CreateLogger<CircuitRegistry>()), _loggerFactory.CreateLogger<FunctionRegistry>());

    private static AzureFunctionProxyOptions Valid(string functionName) => new() { AppName = "myapp", FunctionName = functionName };
}
