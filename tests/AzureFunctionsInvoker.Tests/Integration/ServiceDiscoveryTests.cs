using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// .NET Aspire's service discovery on the client <c>AddAzureFunctionProxy</c> returns: an <c>AppName</c> that is a
/// service name, with an empty <c>HostDomain</c>, resolved to the endpoints configuration gives under
/// <c>Services:{name}:{endpoint}</c>, as Aspire's AppHost hands them to a project.
/// </summary>
public sealed class ServiceDiscoveryTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_service_name_resolves_to_the_configured_endpoint_and_the_function_gets_its_host()
    {
        await using var env = await StartAsync(f => Configuration("http", $"http://127.0.0.1:{f.Port}", https: false, port: null));

        using var response = await env.Caller.GetAsync(new Uri("/shop/echo/42?x=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await Echo.ReadAsync(response);
        Assert.Equal("/api/echo/42?x=1", echo.Target);
        Assert.Equal([$"127.0.0.1:{env.Function.Port}"], echo.Headers["Host"]);
        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);
    }

    [Fact]
    public async Task Over_https_the_https_endpoint_is_used_and_its_port_replaces_the_options_port()
    {
        using var certificate = Loopback.SelfSignedCertificate();
        await using var env = await StartAsync(
            f => Configuration("https", $"https://127.0.0.1:{f.Port}", https: true, port: Loopback.ClosedPort()),
            certificate);

        using var response = await env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await Echo.ReadAsync(response);
        Assert.Equal("/api/echo", echo.Target);
        Assert.Equal([$"127.0.0.1:{env.Function.Port}"], echo.Headers["Host"]);
    }

    [Fact]
    public async Task A_changed_endpoint_in_configuration_is_followed()
    {
        await using var env = await StartAsync(f => Configuration("http", $"http://127.0.0.1:{f.Port}", https: false, port: null));
        await using var second = await StandInFunction.StartAsync();
        using var first = await env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative));

        var moved = Configuration("http", $"http://127.0.0.1:{second.Port}", https: false, port: null);
        Section(moved)["ApiKey"] = second.Key;
        env.ReloadJson(moved);

        await Eventually.HoldsAsync(
            () =>
            {
                using var response = env.Caller.GetAsync(new Uri("/shop/echo", UriKind.Relative)).GetAwaiter().GetResult();
                return response.StatusCode == HttpStatusCode.OK && !second.ReceivedTargets.IsEmpty;
            },
            s_bound,
            "requests reach the second endpoint");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(["/api/echo"], env.Function.ReceivedTargets);
    }

    // Shop as Aspire configures a Function App project resource: AppName is its resource name.
    private static Dictionary<string, object> Configuration(string endpointName, string endpoint, bool https, int? port) => new()
    {
        [ProxyHostBuilder.AppMountRoot] = new Dictionary<string, object>
        {
            [ProxyHostBuilder.AppMountName] = new Dictionary<string, object?>
            {
                ["AppName"] = "functions",
                ["HostDomain"] = string.Empty,
                ["Https"] = https,
                ["HttpsVerify"] = false,
                ["Port"] = port,
                ["Functions"] = new Dictionary<string, object> { ["echo"] = new { } },
            },
        },
        ["Services"] = new Dictionary<string, object>
        {
            ["functions"] = new Dictionary<string, object> { [endpointName] = new[] { endpoint } },
        },
    };

    private static Dictionary<string, object?> Section(Dictionary<string, object> configuration) => ProxyHostBuilder.AppMountSectionOf(configuration);

    private static async Task<ProxyTestHost> StartAsync(Func<StandInFunction, Dictionary<string, object>> configuration, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null) =>
        await new ProxyHostBuilder()
            .AddAppMount(f =>
            {
                var shop = configuration(f);
                Section(shop)["ApiKey"] = f.Key;
                return shop;
            }, (builder, section) =>
            {
                builder.Services.AddServiceDiscovery();
                builder.Services.AddAzureFunctionProxy(ProxyHostBuilder.AppMountName, section).AddServiceDiscovery();
            })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/shop/{function}/{**rest}", ProxyHostBuilder.AppMountName))
            .WithStandInCertificate(certificate)
            .StartAsync();
}
