using System.Globalization;
using System.Net;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>Functions registered by name from configuration: several per app, each its own options and pool, reloaded live.</summary>
public sealed class NamedFunctionTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_named_function_forwards_with_its_own_options_over_its_own_connections()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo", ["billing"] = "echo" })
            .ConfigurePipeline(app =>
            {
                app.UseAzureFunctionProxy("/orders", "orders");
                app.UseAzureFunctionProxy("/billing", "billing");
            })
            .StartAsync();

        var orders = await EchoAsync(env, "/orders/a%2Fb?c=d");
        var ordersAgain = await EchoAsync(env, "/orders");
        var billing = await EchoAsync(env, "/billing/x");

        Assert.Equal("/api/echo/a%2Fb?c=d", orders.Target);
        Assert.Equal(["orders"], orders.Headers["x-functions-clientid"]);
        Assert.Equal(["billing"], billing.Headers["x-functions-clientid"]);
        Assert.Equal(orders.ConnectionId, ordersAgain.ConnectionId);
        Assert.NotEqual(orders.ConnectionId, billing.ConnectionId);
    }

    [Fact]
    public async Task A_rotated_key_applies_from_the_next_request_without_a_restart()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();
        env.Reload("Functions:orders:ApiKey", "the-old-key");
        var before = await env.Caller.GetAsync(new Uri("/orders", UriKind.Relative));

        env.Reload("Functions:orders:ApiKey", env.Function.Key);
        var after = await env.Caller.GetAsync(new Uri("/orders", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        await env.Logs.WaitForAsync("Reloaded", s_bound);
    }

    [Fact]
    public async Task An_invalid_reload_is_logged_naming_the_option_and_the_last_valid_options_stay()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();

        env.Reload("Functions:orders:ApiKey", "leaked-secret\r\nX-Injected: 1");
        var echo = await EchoAsync(env, "/orders");

        await env.Logs.WaitForAsync("ReloadRejected", s_bound);
        var rejected = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ReloadRejected");
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains("Azure Function 'orders' (Functions:orders:ApiKey): ApiKey contains a character", rejected.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked-secret", env.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);
    }

    [Fact]
    public async Task A_request_in_flight_finishes_on_the_options_it_started_with()
    {
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["stream"] = "lockstep-download" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/stream", "stream"))
            .ConfigureServices(clock.UseIn)
            .StartAsync();
        using var inFlight = await env.Caller.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var body = await inFlight.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]);

        // From now on a wait on the function longer than 200 ms fails a request...
        env.Reload("Functions:stream:Timeout", "200");

        // ...as a request started after the reload shows: it is cut off 200 ms into the same wait.
        using var later = await env.Caller.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var laterBody = await later.Content.ReadAsStreamAsync();
        await laterBody.ReadExactlyAsync(new byte[1024]);
        await clock.WhenArmedAsync(timers: 2).WaitAsync(s_bound); // both forwards wait on the function's next bytes
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<IOException>(() => laterBody.CopyToAsync(Stream.Null).WaitAsync(s_bound));

        // The first request has waited as long, and lives on under the default Timeout.
        env.Function.Proceed.SetResult();
        var rest = new MemoryStream();
        await body.CopyToAsync(rest).WaitAsync(s_bound);
        Assert.Equal(1024, rest.Length);
    }

    [Fact]
    public async Task Fifty_reloads_that_change_keepalive_leave_one_connection_pool()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();

        for (var keepalive = 1001; keepalive <= 1050; keepalive++)
        {
            env.Reload("Functions:orders:Keepalive", keepalive.ToString(CultureInfo.InvariantCulture));
            await EchoAsync(env, "/orders");
        }

        // The proxy disposed each request before the last chunk of its answer went out, so the count is settled.
        Assert.Equal(1, PoolCount(env, "orders"));
    }

    [Fact]
    public async Task The_pool_a_reload_replaced_serves_its_download_to_the_end_and_is_then_disposed()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["stream"] = "lockstep-download" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/stream", "stream"))
            .StartAsync();
        using var inFlight = await env.Caller.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var body = await inFlight.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(s_bound);

        env.Reload("Functions:stream:Keepalive", "1234");
        var whileDownloading = PoolCount(env, "stream");
        env.Function.Proceed.SetResult();
        var rest = new MemoryStream();
        await body.CopyToAsync(rest).WaitAsync(s_bound);

        Assert.Equal(1, whileDownloading);
        Assert.Equal(1024, rest.Length);
        Assert.Equal(0, PoolCount(env, "stream")); // nothing was sent with the new Keepalive yet
    }

    [Fact]
    public async Task Invalid_options_of_a_named_function_fail_at_startup_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .ConfigureServices(builder => builder.Configuration["Functions:orders:Timeout"] = "0")
            .StartAsync());

        Assert.Contains("Timeout", error.Message, StringComparison.Ordinal);
        Assert.Equal("orders", error.OptionsName);
    }

    [Fact]
    public async Task Invalid_options_of_a_named_function_nothing_mounts_fail_the_hosts_start_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo", ["billing"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .ConfigureServices(builder => builder.Configuration["Functions:billing:Keepalive"] = "0")
            .StartAsync());

        Assert.Contains("Keepalive", error.Message, StringComparison.Ordinal);
        Assert.Equal("billing", error.OptionsName);
        Assert.Equal(typeof(AzureFunctionProxyOptions), error.OptionsType);
    }

    [Fact]
    public async Task A_bad_configuration_bound_function_fails_the_hosts_start_naming_the_keys_path_and_its_unit()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo", ["billing"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .ConfigureServices(builder =>
            {
                builder.Configuration["Functions:billing:Timeout"] = "-5";
                builder.Configuration["Functions:billing:AppName"] = "billing.example.com:8443";
            })
            .StartAsync());

        Assert.Contains("Azure Function 'billing' (Functions:billing:Timeout): Timeout must be between 1 and 2147483647 milliseconds.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Azure Function 'billing' (Functions:billing:AppName): AppName must not hold a port: set AppName to 'billing.example.com' and Port to 8443 (the port goes in Port).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_reload_of_a_function_nothing_mounts_is_no_error_for_the_configuration_reload()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo", ["billing"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();

        // Validated at startup, billing is no longer validated by the options themselves, which would throw here.
        env.Reload("Functions:billing:Keepalive", "0");
        var orders = await EchoAsync(env, "/orders");

        Assert.Equal(["orders"], orders.Headers["x-functions-clientid"]);
    }

    [Fact]
    public async Task Mounting_a_name_never_registered_fails_at_startup_naming_it()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/billing", "billing"))
            .StartAsync());

        Assert.Contains("'billing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_name_is_mounted_in_any_case_as_configuration_keys_are()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app =>
            {
                app.UseAzureFunctionProxy("/branch", "Orders");
                app.MapAzureFunctionProxy("/endpoint/{**rest}", "ORDERS");
            })
            .StartAsync();

        var branch = await EchoAsync(env, "/branch/a");
        var endpoint = await EchoAsync(env, "/endpoint/b");

        Assert.Equal(["orders"], branch.Headers["x-functions-clientid"]);
        Assert.Equal(branch.ConnectionId, endpoint.ConnectionId); // one function: its own client and pool
        Assert.Equal(1, PoolCount(env, "orders"));
    }

    // The pools of the function's primary handler, under what the client factory wraps it in.
    private static int PoolCount(ProxyTestHost env, string name)
    {
        var handler = env.App.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(FunctionForwarder.ClientNameFor(name));
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        return Assert.IsType<FunctionHttpHandler>(handler).PoolCount;
    }

    private static async Task<StandInFunction.Echo> EchoAsync(ProxyTestHost env, string pathAndQuery)
    {
        using var response = await env.Caller.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await StandInFunction.Echo.ReadAsync(response);
    }
}
