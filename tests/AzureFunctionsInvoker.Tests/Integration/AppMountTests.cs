using System.Diagnostics.Metrics;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// App mounts: the functions <c>Functions</c> lists behind one <c>/shop/{function}/{**rest}</c> route, over real
/// sockets against the stand-in Function App, which records every request that reached it.
/// </summary>
public sealed class AppMountTests
{
    private const string Pattern = "/shop/{function}/{**rest}";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_listed_function_gets_the_path_below_its_name_and_the_query_with_the_apps_key_and_its_own_client_id()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { ClientId = "echo-client" }, ["mirror"] = new { } }));

        var echo = await EchoAsync(env, "/shop/echo/42/a%2Fb?x=1&y=%20");

        Assert.Equal("/api/echo/42/a%2Fb?x=1&y=%20", echo.Target);
        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);
        Assert.Equal(["echo-client"], echo.Headers["x-functions-clientid"]);
    }

    [Fact]
    public async Task A_function_with_its_own_key_sends_it_and_one_without_sends_the_apps()
    {
        await using var env = await StartAsync(f => Shop(f, "the-apps-host-key", new() { ["echo"] = new { ApiKey = f.Key }, ["mirror"] = new { } }));

        var echo = await EchoAsync(env, "/shop/echo");
        using var mirror = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("body"));

        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);

        // The stand-in answers 401 to any key but its own: the app's key went to the function without one.
        Assert.Equal(HttpStatusCode.Unauthorized, mirror.StatusCode);
        Assert.Equal(["/api/echo", "/api/mirror"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_function_name_matches_in_any_case_and_the_function_is_called_by_its_configured_name()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));

        var echo = await EchoAsync(env, "/SHOP/ECHO/Tail?q=1");

        Assert.Equal("/api/echo/Tail?q=1", echo.Target);
    }

    [Theory]
    [InlineData("/shop/refunds/1")]
    [InlineData("/shop/%65cho/1")]
    [InlineData("/shop/ech%6F")]
    [InlineData("/shop/echo%2F..%2F..%2Fadmin/functions")]
    [InlineData("/shop/echo%2F../x")]
    [InlineData("/shop/echo%2f..")]
    [InlineData("/shop/%2E%2E/admin")]
    [InlineData("/shop/..%2Fadmin")]
    [InlineData("/shop/echo;x=1/a")]
    [InlineData("/shop/%EF%BD%85cho/a")]
    [InlineData("/shop/echo./a")]
    [InlineData("/shop//echo")]
    [InlineData("/shop/")]
    public async Task A_function_not_listed_is_404_and_never_forwarded_however_the_caller_spells_it(string target)
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));

        // Written by hand: HttpClient would decode %65 into 'e' before sending.
        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy");

        Assert.Equal([404], RawHttp.Statuses(response));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("/shop/refunds/1")]
    [InlineData("/shop/%65cho/1")]
    [InlineData("/shop/echo%2F../x")]
    public async Task The_404_of_the_mount_is_a_problem_body_naming_no_function(string target)
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));

        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy");

        Assert.Contains("Content-Type: application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":404", response, StringComparison.Ordinal);
        Assert.DoesNotContain("echo", response.Split("\r\n\r\n", 2)[1], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_path_that_would_leave_a_listed_functions_route_is_refused_with_400()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));

        var response = await RawHttp.SendAsync(env.Port, "GET /shop/echo/%2E%2E%2F..%2Fadmin HTTP/1.1\nHost: proxy");

        Assert.Equal([400], RawHttp.Statuses(response));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_body_streams_to_a_listed_function_and_the_size_limit_is_the_apps()
    {
        await using var env = await StartAsync(f =>
        {
            var shop = Shop(f, f.Key, new() { ["echo"] = new { } });
            Section(shop)["MaxRequestBodySize"] = 1000;
            return shop;
        });
        var body = new byte[1000];
        Infrastructure.Pattern.Fill(body, 0);

        using var sent = await env.Caller.PostAsync(new Uri("/shop/echo/upload", UriKind.Relative), new ByteArrayContent(body));
        using var tooLarge = await env.Caller.PostAsync(new Uri("/shop/echo/upload", UriKind.Relative), new ByteArrayContent(new byte[1001]));

        var echo = await Echo.ReadAsync(sent);
        Assert.Equal(1000, echo.BodyLength);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body)), echo.BodySha256, ignoreCase: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
    }

    [Fact]
    public async Task A_route_group_and_a_path_base_are_left_out_of_the_forwarded_path()
    {
        await using var env = await StartAsync(
            f => Shop(f, f.Key, new() { ["echo"] = new { } }),
            app =>
            {
                app.UsePathBase("/base");
                app.MapGroup("/v1").MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName);
            });

        var echo = await EchoAsync(env, "/base/v1/shop/Echo/a%2Fb?c=d");

        Assert.Equal("/api/echo/a%2Fb?c=d", echo.Target);
    }

    [Theory]
    [InlineData("/BASE/v1/shop/%6Frders/1")]
    [InlineData("/Base/V1/SHOP/echo%2F../x")]
    public async Task Behind_a_path_base_matched_in_another_case_an_encoded_name_is_still_404(string target)
    {
        await using var env = await StartAsync(
            f => Shop(f, f.Key, new() { ["orders"] = new { } }),
            app =>
            {
                app.UsePathBase("/base");
                app.MapGroup("/v1").MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName);
            });

        var response = await RawHttp.SendAsync(env.Port, $"GET {target} HTTP/1.1\nHost: proxy");

        Assert.Equal([404], RawHttp.Statuses(response));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_reload_that_adds_a_function_exposes_it_and_one_that_removes_a_function_closes_it()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));
        using var before = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        env.ReloadJson(Shop(env.Function, env.Function.Key, new() { ["echo"] = new { }, ["mirror"] = new { } }));
        using var added = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        env.ReloadJson(Shop(env.Function, env.Function.Key, new() { ["mirror"] = new { } }));
        using var removed = await env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative));
        using var kept = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        env.ReloadJson(Shop(env.Function, env.Function.Key, []));
        using var none = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal("m", await added.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal(["/api/mirror", "/api/mirror"], env.Function.ReceivedTargets);
        Assert.Contains("/api/{function}", env.Logs.Entries.Last(e => e.EventId.Name == "Reloaded").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_would_turn_the_app_mount_into_one_function_is_rejected_and_the_functions_stay()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));

        var reloaded = Shop(env.Function, env.Function.Key, []);
        Section(reloaded)["FunctionName"] = "mirror";
        env.ReloadJson(reloaded);
        await env.Logs.WaitForAsync("ReloadRejected", s_bound);
        var echo = await EchoAsync(env, "/shop/echo");

        Assert.Contains("(Apps:Shop:FunctionName): FunctionName cannot be set on an app mount", env.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal("/api/echo", echo.Target);
    }

    [Fact]
    public async Task Both_FunctionName_and_Functions_fail_at_startup_naming_both()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(f =>
        {
            var shop = Shop(f, f.Key, new() { ["echo"] = new { } });
            Section(shop)["FunctionName"] = "echo";
            return shop;
        }));

        Assert.Contains(
            "Azure Function 'Shop' (Apps:Shop:FunctionName): FunctionName and Functions cannot both be set",
            failure.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("..")]
    [InlineData("a%2Fb")]
    [InlineData("a/b")]
    [InlineData("caf\u00e9")]
    public async Task A_Functions_entry_that_is_not_a_function_name_fails_at_startup_naming_it(string name)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(f => Shop(f, f.Key, new() { [name] = new { } })));

        Assert.Contains($"(Apps:Shop:Functions:{name}): Functions holds '{name}', which is not a function name", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_function_key_with_a_line_break_fails_at_startup_naming_its_path_and_not_its_value()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { ApiKey = "secret\r\nX-Injected: 1" } })));

        Assert.Contains("(Apps:Shop:Functions:echo:ApiKey): Functions:echo:ApiKey contains a character", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseAzureFunctionProxy_with_Functions_fails_at_startup_saying_to_map_a_function_route()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            f => Shop(f, f.Key, new() { ["echo"] = new { } }),
            app => app.UseAzureFunctionProxy("/shop", ProxyHostBuilder.AppMountName)));

        Assert.StartsWith("Azure Function 'Shop' (Apps:Shop:Functions): Functions lists the functions of an app mount", failure.Message, StringComparison.Ordinal);
        Assert.Contains("MapAzureFunctionProxy", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'{function}'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseAzureFunctionProxy_with_options_in_code_that_list_Functions_fails_likewise()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddAzureFunctionProxy();
        await using var app = builder.Build();

        var failure = Assert.Throws<InvalidOperationException>(() => app.UseAzureFunctionProxy("/shop", o =>
        {
            o.AppName = "127.0.0.1";
            o.HostDomain = string.Empty;
            o.Functions["echo"] = new();
        }));

        Assert.StartsWith("Azure Function at '/shop': Functions lists the functions of an app mount", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pattern_without_function_fails_at_startup_for_options_with_Functions()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            f => Shop(f, f.Key, new() { ["echo"] = new { } }),
            app => app.MapAzureFunctionProxy("/shop/{**rest}", ProxyHostBuilder.AppMountName)));

        Assert.Contains("(Apps:Shop:Functions): Functions lists the functions of an app mount", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_function_pattern_fails_at_startup_for_options_with_a_FunctionName()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(f =>
        {
            var shop = Shop(f, f.Key, []);
            Section(shop)["FunctionName"] = "echo";
            return shop;
        }));

        Assert.StartsWith("Azure Function 'Shop' (Apps:Shop:FunctionName): FunctionName cannot be set on an app mount", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/shop/{function}/v1/{**rest}")]
    [InlineData("/shop/{function?}/{**rest}")]
    [InlineData("/shop/{fn}/{**rest}")]
    [InlineData("/{function}/{function2}")]
    [InlineData("/shop/x{function}/{**rest}")]
    public async Task A_pattern_with_function_anywhere_but_after_the_literals_is_refused(string pattern)
    {
        var failure = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(
            f => Shop(f, f.Key, new() { ["echo"] = new { } }),
            app => app.MapAzureFunctionProxy(pattern, ProxyHostBuilder.AppMountName)));

        Assert.Contains("'{function}' for an app mount", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Telemetry_names_the_function_called_and_the_startup_line_the_apps_route()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { }, ["mirror"] = new { } }));
        using var duration = new MetricCollector<double>(
            env.App.Services.GetRequiredService<IMeterFactory>(), "AzureFunctionsInvoker", "azurefunctionsinvoker.request.duration");

        await EchoAsync(env, "/shop/ECHO/1");
        using var mirror = await env.Caller.PostAsync(new Uri("/shop/mirror", UriKind.Relative), new StringContent("m"));

        await duration.WaitForMeasurementsAsync(2, s_bound);
        Assert.Equal(["echo", "mirror"], duration.GetMeasurementSnapshot().Select(m => m.Tags["faas.invoked_name"]));
        var mounted = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Mounted");
        Assert.Contains(
            $"Mounted {Pattern} -> http://127.0.0.1:{env.Function.Port}/api/{{function}} (Azure Function 'Shop').",
            mounted.Text,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_function_logs_the_function_called()
    {
        await using var env = await StartAsync(f => Shop(f, f.Key, new() { ["echo"] = new { } }));
        var unreachable = Shop(env.Function, env.Function.Key, new() { ["echo"] = new { } });
        var closedPort = Loopback.ClosedPort();
        Section(unreachable)["Port"] = closedPort;
        env.ReloadJson(unreachable);

        using var response = await env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains($"No response from the Azure Function 'echo' at 127.0.0.1:{closedPort}: connection refused.", env.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_health_check_covers_the_app_mounts_host_and_calls_no_function()
    {
        await using var env = await StartAsync(
            f => Shop(f, f.Key, new() { ["echo"] = new { }, ["mirror"] = new { } }),
            register: (builder, section) =>
            {
                builder.Services.AddAzureFunctionProxy(ProxyHostBuilder.AppMountName, section);
                builder.Services.AddHealthChecks().AddAzureFunctionProxyCheck(ProxyHostBuilder.AppMountName);
            });

        var report = await env.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = Assert.Single(report.Entries);
        Assert.Equal("azure-function-Shop", entry.Key);
        Assert.Equal(HealthStatus.Healthy, entry.Value.Status);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    /// <summary>The configuration file of an app <c>Shop</c> on <paramref name="function"/>.</summary>
    internal static Dictionary<string, object> Shop(StandInFunction function, string? apiKey, Dictionary<string, object> functions) => new()
    {
        [ProxyHostBuilder.AppMountRoot] = new Dictionary<string, object> { [ProxyHostBuilder.AppMountName] = ProxyHostBuilder.AppMountSection(function, apiKey, functions) },
    };

    private static Dictionary<string, object?> Section(Dictionary<string, object> configuration) => ProxyHostBuilder.AppMountSectionOf(configuration);

    private static Task<ProxyTestHost> StartAsync(
        Func<StandInFunction, object> configuration,
        Action<WebApplication>? mount = null,
        Action<WebApplicationBuilder, Microsoft.Extensions.Configuration.IConfigurationSection>? register = null) =>
        new ProxyHostBuilder()
            .AddAppMount(configuration, register)
            .ConfigurePipeline(mount ?? (app => app.MapAzureFunctionProxy(Pattern, ProxyHostBuilder.AppMountName)))
            .StartAsync();

    private static async Task<Echo> EchoAsync(ProxyTestHost env, string target)
    {
        using var response = await env.Caller.GetAsync(new Uri(target, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Echo.ReadAsync(response);
    }
}
