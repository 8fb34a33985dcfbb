using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Functions;

/// <summary>One valid set of options and what the proxy computes from them once.</summary>
public sealed class NamedProxyTests
{
    private const string Key = "the-function-key-0123456789";

    [Fact]
    public void Computes_where_the_function_lives_and_how_to_connect_to_it()
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Keepalive = 1500, Timeout = 2500 };

        var target = NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, NullLogger.Instance);

        Assert.Equal(new Uri("https://myapp.azurewebsites.net/api/hello"), target.Route.FunctionUri);
        Assert.Equal("myapp.azurewebsites.net", target.Backend.ServerAddress);
        Assert.Equal(443, target.Backend.ServerPort);
        Assert.Equal("https", target.Backend.Scheme);
        Assert.Equal(new ConnectionSettings(TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2500), VerifyCertificate: true), target.Connection);
    }

    [Fact]
    public void A_function_with_one_backend_goes_to_it_with_its_keys_and_no_circuit()
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", ApiKey = "k", Backends = [new() { AppName = "hello-neu", ApiKey = "k-neu" }] };

        var target = NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, NullLogger.Instance);

        Assert.False(target.Pool.HasFailover);
        Assert.Null(target.Pool.CircuitOf(0));
        Assert.Equal("hello-neu.azurewebsites.net", target.Backend.ServerAddress);
        Assert.Equal("k-neu", target.Backend.Options.ApiKey);
    }

    [Fact]
    public void A_reload_keeps_the_circuit_of_a_backend_whose_host_and_port_it_keeps()
    {
        var circuits = new CircuitRegistry(TimeProvider.System, metrics: null, NullLogger.Instance);
        var origin = OptionsOrigin.Registered("Hello", sectionPath: null);
        var before = NamedProxy.Create(origin, Options(("weu", 443), ("neu", 443)), NullLogger.Instance, circuits: circuits);

        var after = NamedProxy.Create(origin, Options(("neu", 443), ("weu", 8443)), NullLogger.Instance, circuits: circuits);

        var neuBefore = CircuitAt(before, "neu.");
        var weuBefore = CircuitAt(before, "weu.");
        Assert.Same(neuBefore, CircuitAt(after, "neu."));
        Assert.NotSame(weuBefore, CircuitAt(after, "weu."));

        static CircuitBreaker.CircuitState? CircuitAt(NamedProxy target, string host) =>
            target.Pool.CircuitOf(Array.FindIndex(target.Pool.Backends, b => b.ServerAddress.StartsWith(host, StringComparison.Ordinal)))?.State;

        static AzureFunctionProxyOptions Options(params (string AppName, int Port)[] backends) => new()
        {
            FunctionName = "hello",
            Backends = [.. backends.Select(b => new AzureFunctionProxyBackend { AppName = b.AppName, Port = b.Port })],
        };
    }

    [Theory]
    [InlineData("localhost", false, 7071, "localhost", 7071, "http")]
    [InlineData("localhost", false, null, "localhost", 80, "http")]
    [InlineData("127.0.0.1", true, 8443, "127.0.0.1", 8443, "https")]
    [InlineData("::1", false, 7071, "::1", 7071, "http")]
    public void The_server_is_tagged_as_a_socket_would_be_addressed(string host, bool https, int? port, string address, int expectedPort, string scheme)
    {
        var target = NamedProxy.Create(
            OptionsOrigin.Mounted("hello", "/test"),
            new AzureFunctionProxyOptions { AppName = host, HostDomain = string.Empty, FunctionName = "hello", Https = https, Port = port },
            NullLogger.Instance);

        Assert.Equal(address, target.Backend.ServerAddress);
        Assert.Equal(expectedPort, target.Backend.ServerPort);
        Assert.Equal(scheme, target.Backend.Scheme);
    }

    [Fact]
    public void Keeps_its_own_copy_of_the_options()
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = Key };

        var target = NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, NullLogger.Instance);
        options.FunctionName = "changed";
        options.ApiKey = "changed";

        Assert.NotSame(options, target.Options);
        Assert.Equal("hello", target.Options.FunctionName);
        Assert.Equal(Key, target.Options.ApiKey);
        Assert.Equal(new Uri("https://myapp.azurewebsites.net/api/hello"), target.Route.FunctionUri);
    }

    [Theory]
    [InlineData("myapp", true, false, Key, "HttpsVerifyDisabled")]
    [InlineData("myapp", true, false, null, "HttpsVerifyDisabled")]
    [InlineData("myapp", false, true, Key, "KeyOverHttp")]
    [InlineData("myapp", false, false, Key, "KeyOverHttp")]
    [InlineData("myapp", true, true, Key, null)]
    [InlineData("myapp", false, true, null, null)]
    [InlineData("myapp", false, true, "", null)]
    [InlineData("127.0.0.1", false, true, Key, null)]
    public void Warns_about_a_key_given_away_naming_the_function_and_authority_but_not_the_key(string appName, bool https, bool httpsVerify, string? apiKey, string? expectedEvent)
    {
        using var logs = new CapturingLoggerProvider();
        var options = new AzureFunctionProxyOptions
        {
            AppName = appName,
            HostDomain = appName == "myapp" ? "azurewebsites.net" : string.Empty,
            FunctionName = "hello",
            Https = https,
            HttpsVerify = httpsVerify,
            ApiKey = apiKey,
        };

        var target = NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, logs.CreateLogger("test"));

        string?[] expected = expectedEvent is null ? [] : [expectedEvent];
        Assert.Equal(expected, logs.Entries.Select(e => e.EventId.Name));
        foreach (var entry in logs.Entries)
        {
            Assert.Contains("'hello'", entry.Text, StringComparison.Ordinal);
            Assert.Contains(target.Route.ToString(), entry.Text, StringComparison.Ordinal);
        }

        logs.AssertNeverLogged(Key);
    }

    [Fact]
    public void An_app_mount_has_a_target_per_function_on_the_apps_host_and_connections_with_its_own_key_or_the_apps()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop", ApiKey = "host-key", ClientId = "app-client", Timeout = 2500 };
        options.Functions["orders"] = new();
        options.Functions["Invoices"] = new() { ApiKey = "invoices-key", ClientId = "invoices-client" };

        var target = NamedProxy.Create(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options, NullLogger.Instance);

        Assert.True(target.IsAppMount);
        Assert.Equal("https://contoso-shop.azurewebsites.net/api/{function}", target.Route.Address);
        Assert.True(target.TryGetFunction("ORDERS", out var orders));
        Assert.True(target.TryGetFunction("invoices", out var invoices));
        Assert.False(target.TryGetFunction("refunds", out _));
        Assert.False(target.TryGetFunction("%6Frders", out _));
        Assert.False(target.TryGetFunction(string.Empty, out _));
        Assert.Equal(new Uri("https://contoso-shop.azurewebsites.net/api/orders"), orders.Route.FunctionUri);
        Assert.Equal(new Uri("https://contoso-shop.azurewebsites.net/api/Invoices"), invoices.Route.FunctionUri);
        Assert.Equal(("orders", "host-key", "app-client"), (orders.Backend.Options.FunctionName, orders.Backend.Options.ApiKey, orders.Backend.Options.ClientId));
        Assert.Equal(("Invoices", "invoices-key", "invoices-client"), (invoices.Backend.Options.FunctionName, invoices.Backend.Options.ApiKey, invoices.Backend.Options.ClientId));
        Assert.Equal(target.Connection, orders.Backend.Connection);
        Assert.Equal("Shop", orders.Backend.Name);
        Assert.Equal(2500, invoices.Backend.Options.Timeout);
    }

    [Fact]
    public void A_target_of_one_function_exposes_no_function_by_name()
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };

        var target = NamedProxy.Create(OptionsOrigin.Mounted("hello", "/test"), options, NullLogger.Instance);

        Assert.False(target.IsAppMount);
        Assert.False(target.TryGetFunction("hello", out _));
    }

    [Fact]
    public void An_app_mount_whose_functions_were_all_removed_stays_an_app_mount_exposing_none()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop" };

        var target = NamedProxy.Create(OptionsOrigin.Registered("Shop", null), options, NullLogger.Instance, appMount: true);

        Assert.True(target.IsAppMount);
        Assert.False(target.TryGetFunction("orders", out _));
    }

    [Fact]
    public void An_app_mount_with_backends_has_each_function_at_each_backend_sharing_one_circuit_per_backend_host()
    {
        var options = new AzureFunctionProxyOptions
        {
            ApiKey = "host-key",
            Backends = [new() { AppName = "shop-weu" }, new() { AppName = "shop-neu", Priority = 2, ApiKey = "neu-key" }],
        };
        options.Functions["orders"] = new();
        options.Functions["invoices"] = new();

        var target = NamedProxy.Create(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options, NullLogger.Instance);

        Assert.True(target.TryGetFunction("orders", out var orders));
        Assert.True(target.TryGetFunction("invoices", out var invoices));
        Assert.Equal("https://shop-weu.azurewebsites.net/api/{function} or https://shop-neu.azurewebsites.net/api/{function}", target.Address);
        Assert.Equal(
            [("https://shop-weu.azurewebsites.net/api/orders", "host-key"), ("https://shop-neu.azurewebsites.net/api/orders", "neu-key")],
            orders.Pool.Backends.Select(b => (b.FunctionUri.OriginalString, b.Options.ApiKey)));
        Assert.Equal(
            ["https://shop-weu.azurewebsites.net/api/invoices", "https://shop-neu.azurewebsites.net/api/invoices"],
            invoices.Pool.Backends.Select(b => b.FunctionUri.OriginalString));
        for (var i = 0; i < 2; i++)
        {
            Assert.Same(target.Pool.CircuitOf(i), orders.Pool.CircuitOf(i));
            Assert.Same(target.Pool.CircuitOf(i), invoices.Pool.CircuitOf(i));
        }

        Assert.NotSame(orders.Pool.CircuitOf(0)!.State, orders.Pool.CircuitOf(1)!.State);
    }
}
