using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// An app mount (<c>Functions</c> behind <c>/shop/{function}/{**rest}</c>) served by two stand-in regions
/// (<c>Backends</c>) on 127.0.0.1: each function at each region's own route, one circuit per region shared by the
/// functions, nothing forwarded anywhere for a function not listed.
/// </summary>
public sealed class AppMountFailoverTests
{
    private static readonly Dictionary<string, string?> s_secondPriority = new() { ["Backends:1:Priority"] = "2" };

    [Fact]
    public async Task Each_listed_function_goes_to_the_first_priority_at_its_own_route_with_that_backends_key()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountAppMountBackends(s_secondPriority).StartAsync();

        using var orders = await env.Caller.GetAsync(new Uri("/shop/orders/42?x=1", UriKind.Relative));
        using var invoices = await env.Caller.GetAsync(new Uri("/shop/INVOICES", UriKind.Relative));

        Assert.Equal((HttpStatusCode.OK, "A"), (orders.StatusCode, StandInRegion.AnsweredBy(orders)));
        Assert.Equal((HttpStatusCode.OK, "A"), (invoices.StatusCode, StandInRegion.AnsweredBy(invoices)));
        Assert.Equal(["/api/orders/42?x=1", "/api/invoices"], env.Regions[0].Requests.Select(r => r.Target));
        Assert.All(env.Regions[0].Requests, r => Assert.Equal((true, "A"), (r.OwnKey, r.ClientId)));
        Assert.Empty(env.Regions[1].Requests);
    }

    [Fact]
    public async Task A_stopped_region_fails_every_function_over_to_the_other_posts_with_bodies_included()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountAppMountBackends(s_secondPriority).StartAsync();
        await env.Regions[0].StopAsync();

        using var orders = await env.Caller.GetAsync(new Uri("/shop/orders/1", UriKind.Relative));
        using var invoices = await env.Caller.PostAsync(new Uri("/shop/invoices", UriKind.Relative), new ByteArrayContent(new byte[1000]));

        Assert.Equal((HttpStatusCode.OK, "B"), (orders.StatusCode, StandInRegion.AnsweredBy(orders)));
        Assert.Equal((HttpStatusCode.OK, "B"), (invoices.StatusCode, StandInRegion.AnsweredBy(invoices)));
        Assert.Equal([("GET", "/api/orders/1", 0L), ("POST", "/api/invoices", 1000L)], env.Regions[1].Requests.Select(r => (r.Method, r.Target, r.BodyLength)));
        Assert.All(env.Regions[1].Requests, r => Assert.Equal((true, "B"), (r.OwnKey, r.ClientId)));
    }

    [Fact]
    public async Task The_functions_of_the_mount_share_each_regions_circuit()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountAppMountBackends(new Dictionary<string, string?>(s_secondPriority)
            {
                ["FailureThreshold"] = "2",
                ["BreakDuration"] = "10000",
            })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        // One failure of each function opens the region's circuit, for both.
        var whileFailing = new List<string>();
        foreach (var path in new[] { "/shop/orders", "/shop/invoices", "/shop/orders", "/shop/invoices" })
        {
            using var response = await env.Caller.GetAsync(new Uri(path, UriKind.Relative));
            whileFailing.Add(StandInRegion.AnsweredBy(response));
        }

        var triedWhileFailing = env.Regions[0].Requests.Select(r => r.Target).ToArray();
        env.Regions[0].Answer = null;
        env.Clock.Advance(TimeSpan.FromMilliseconds(10_000));
        using var afterBreak = await env.Caller.GetAsync(new Uri("/shop/invoices", UriKind.Relative));

        Assert.Equal(["B", "B", "B", "B"], whileFailing);
        Assert.Equal(["/api/orders", "/api/invoices"], triedWhileFailing);
        Assert.Equal("A", StandInRegion.AnsweredBy(afterBreak));
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitOpened");
        Assert.Single(env.Logs.Entries, e => e.EventId.Name == "CircuitClosed");
    }

    [Fact]
    public async Task A_reload_that_adds_a_function_exposes_it_at_every_region_and_keeps_the_regions_circuits()
    {
        var settings = new Dictionary<string, string?>(s_secondPriority) { ["FailureThreshold"] = "1", ["BreakDuration"] = "10000" };
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountAppMountBackends(settings).StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using (await env.Caller.GetAsync(new Uri("/shop/orders", UriKind.Relative)))
        {
        }

        using var before = await env.Caller.GetAsync(new Uri("/shop/refunds", UriKind.Relative));
        env.Reload(ProxyHostBuilder.AppMountBackendSettings(env.Regions, new Dictionary<string, string?>(settings) { ["Functions:refunds"] = string.Empty }));
        await env.Logs.WaitForAsync("Reloaded", TimeSpan.FromSeconds(30));
        env.Regions[0].Answer = null;
        using var whileOpen = await env.Caller.GetAsync(new Uri("/shop/refunds", UriKind.Relative));
        env.Clock.Advance(TimeSpan.FromMilliseconds(10_000));
        using var afterBreak = await env.Caller.GetAsync(new Uri("/shop/refunds/7", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal((HttpStatusCode.OK, "B"), (whileOpen.StatusCode, StandInRegion.AnsweredBy(whileOpen)));
        Assert.Equal((HttpStatusCode.OK, "A"), (afterBreak.StatusCode, StandInRegion.AnsweredBy(afterBreak)));
        Assert.Equal(["/api/orders", "/api/refunds/7"], env.Regions[0].Requests.Select(r => r.Target));
        Assert.Equal(["/api/orders", "/api/refunds"], env.Regions[1].Requests.Select(r => r.Target));
    }

    [Theory]
    [InlineData("/shop/refunds/1")]
    [InlineData("/shop/%6Frders/1")]
    [InlineData("/shop/orders%2F..%2Frefunds")]
    [InlineData("/shop/..%2Fadmin")]
    public async Task A_function_not_listed_is_404_and_no_region_sees_anything(string target)
    {
        await using var env = await new ProxyHostBuilder().WithRegions(2).WithClock().MountAppMountBackends().StartAsync();

        var response = await RawHttp.SendAsync(LoopbackApp.Port(env.App), $"GET {target} HTTP/1.1\nHost: proxy");

        Assert.Equal([404], RawHttp.Statuses(response));
        Assert.All(env.Regions, region => Assert.Empty(region.Requests));
    }

    [Fact]
    public async Task Each_regions_key_and_client_id_reach_only_that_region_and_no_log()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountAppMountBackends(new Dictionary<string, string?> { ["ApiKey"] = "the-apps-key-no-region-takes" })
            .StartAsync();

        var answeredBy = new List<string>();
        foreach (var path in new[] { "/shop/orders", "/shop/orders", "/shop/invoices", "/shop/invoices" })
        {
            using var response = await env.Caller.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answeredBy.Add(StandInRegion.AnsweredBy(response));
        }

        Assert.Equal(["A", "B", "A", "B"], answeredBy);
        foreach (var region in env.Regions)
        {
            Assert.All(region.Requests, r => Assert.Equal((true, region.Name), (r.OwnKey, r.ClientId)));
        }

        // DisposeAsync asserts that neither region's key reached a log line.
    }

    [Fact]
    public async Task One_health_check_covers_the_mounts_regions_by_priority_and_their_shared_circuits()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountAppMountBackends(new Dictionary<string, string?>(s_secondPriority) { ["FailureThreshold"] = "1" })
            .ConfigureServices(builder => builder.Services.AddHealthChecks().AddAzureFunctionProxyCheck("Shop"))
            .StartAsync();
        var health = env.App.Services.GetRequiredService<HealthCheckService>();
        var (a, b) = (env.Regions[0], env.Regions[1]);

        var healthy = await health.CheckHealthAsync();
        a.AnswerWith(StatusCodes.Status503ServiceUnavailable);
        using (await env.Caller.GetAsync(new Uri("/shop/invoices", UriKind.Relative)))
        {
        }

        var degraded = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal($"127.0.0.1:{a.Port} (priority 1) is available; 127.0.0.1:{b.Port} (priority 2) is available.", healthy.Entries["azure-function-Shop"].Description);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains($"127.0.0.1:{a.Port} (priority 1) is not: its circuit is open", degraded.Entries["azure-function-Shop"].Description, StringComparison.Ordinal);
        Assert.All(env.Regions, region => Assert.DoesNotContain(region.Requests, r => r.Target.StartsWith("/api/{function}", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_functions_own_key_with_Backends_fails_at_startup_naming_it()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            new ProxyHostBuilder()
                .WithRegions(2)
                .WithClock()
                .MountAppMountBackends(new Dictionary<string, string?> { ["Functions:orders:ApiKey"] = "a-key-of-one-app" })
                .StartAsync());

        Assert.Contains("(Functions:Shop:Functions:orders:ApiKey): ApiKey cannot be set for one function of an app mount with Backends", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-key-of-one-app", failure.Message, StringComparison.Ordinal);
    }
}
