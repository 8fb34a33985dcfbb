using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>The proxies as endpoints: conventions on every proxy, a reload's included; the proxy's name in its spans.</summary>
public sealed class FunctionsProxiesEndpointTests
{
    private static string Mock(string name, string route) =>
        $"{{ \"proxies\": {{ \"{name}\": {{ \"matchCondition\": {{ \"route\": \"{route}\" }}, \"responseOverrides\": {{ \"response.body\": \"{name}\" }} }} }} }}";

    [Fact]
    public async Task RequireAuthorization_applies_to_every_proxy_and_to_those_a_reload_adds()
    {
        await using var proxies = await new ProxyHostBuilder()
            .ServingProxiesFile(Mock("first", "/first"), conventions: endpoints => endpoints.RequireAuthorization())
            .ConfigureServices(builder =>
            {
                builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                    .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
                builder.Services.AddAuthorization();
            })
            .StartAsync();

        using (var anonymous = await proxies.Caller.GetAsync("/first"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        await proxies.WriteProxiesFileAsync(Mock("second", "/second"));
        await proxies.Logs.WaitForAsync("ProxiesReloaded", TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => Status(proxies, "/first", user: true) == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "the reload applied");

        Assert.Equal(HttpStatusCode.Unauthorized, Status(proxies, "/second", user: false));
        Assert.Equal(HttpStatusCode.OK, Status(proxies, "/second", user: true));
    }

    [Fact]
    public async Task A_proxys_span_and_duration_carry_its_name()
    {
        const string file = """
            { "proxies": { "named-proxy": { "matchCondition": { "route": "/p/{*rest}" }, "backendUri": "http://%StandIn:Host%/api/echo/{rest}",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" } } } }
            """;
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "AzureFunctionsInvoker",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();

        using var response = await proxies.Caller.GetAsync("/p/x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.HoldsAsync(() => spans.Any(s => "named-proxy".Equals(s.GetTagItem("faas.invoked_name"))), TimeSpan.FromSeconds(10), "the proxy's span");
        var span = spans.First(s => "named-proxy".Equals(s.GetTagItem("faas.invoked_name")));
        Assert.Equal(proxies.Function.Port, span.GetTagItem("server.port"));
    }

    private static HttpStatusCode Status(ProxyTestHost proxies, string path, bool user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (user)
        {
            request.Headers.Add(HeaderAuthenticationHandler.UserHeader, "alice");
        }

        using var response = proxies.Caller.Send(request);
        return response.StatusCode;
    }
}
