using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Tests.Reliability;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// What a hostile caller sends to a proxy: the path-safety corpus through a catch-all and through a query value put in
/// the path, and requests that would take the key out in a response or a log.
/// </summary>
public sealed class FunctionsProxiesAbuseTests
{
    private const string Route = "/api/echo";

    private const string File = """
        {
          "proxies": {
            "all": {
              "matchCondition": { "route": "/mytest/{*rest}" },
              "backendUri": "http://%StandIn:Host%/api/echo/{rest}?code=%StandIn:Key%"
            },
            "byQuery": {
              "matchCondition": { "route": "/q" },
              "backendUri": "http://%StandIn:Host%/api/echo/{request.querystring.p}",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            },
            "reflect": {
              "matchCondition": { "route": "/reflect" },
              "backendUri": "http://%StandIn:Host%/api/reflect",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            }
          }
        }
        """;

    public static TheoryData<string, string> TraversalCorpus => AbuseTests.TraversalCorpus;

    [Theory]
    [MemberData(nameof(TraversalCorpus))]
    public async Task A_traversal_through_a_catch_all_is_refused_or_kept_inside_the_backend_route(string family, string path)
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File.Replace("?code=%StandIn:Key%", string.Empty, StringComparison.Ordinal)
            .Replace("\"all\": {", "\"all\": { \"requestOverrides\": { \"backend.request.headers.x-functions-key\": \"%StandIn:Key%\" },", StringComparison.Ordinal)).StartAsync();

        var raw = await RawHttp.SendAsync(LoopbackApp.Port(proxies.App), $"GET {path} HTTP/1.1\nHost: proxy.example");

        var status = Assert.Single(RawHttp.Statuses(raw));
        var forwarded = proxies.Function.ReceivedTargets.ToList();
        Assert.True(status is 400 or 404 || forwarded.Count > 0, $"{family}: {raw}");
        Assert.All(forwarded, target =>
        {
            Assert.StartsWith(Route + "/", target, StringComparison.Ordinal);
            Assert.True(LenientFrontEnd.StaysWithin(target, Route), $"{family}: {target} resolves to {LenientFrontEnd.Resolve(target)}");
        });
        Assert.All(proxies.Function.ReceivedPaths, decoded => Assert.StartsWith(Route + "/", decoded, StringComparison.Ordinal));
        if (status is 400 or 404)
        {
            Assert.Empty(forwarded);
        }
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../../admin/host/keys")]
    [InlineData("%2e%2e")]
    [InlineData(".")]
    public async Task A_query_value_put_in_the_path_cannot_climb_out_of_it(string value)
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/q?p=" + value);

        var forwarded = proxies.Function.ReceivedTargets.ToList();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest || forwarded.Count > 0);
        Assert.All(forwarded, target => Assert.True(LenientFrontEnd.StaysWithin(target, Route), target));
    }

    [Fact]
    public async Task The_key_a_backend_reflects_is_stripped_from_the_response()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/reflect");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("x-functions-key"));
        Assert.DoesNotContain(proxies.Function.Key, response.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_in_a_backendUri_and_an_override_are_in_no_log_line_at_trace()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using (await proxies.Caller.GetAsync("/mytest/x?y=1&code=callers"))
        {
            // The stand-in reads the header only; what matters is that the file's code went, and the caller's did not.
            Assert.Equal($"/api/echo/x?code={proxies.Function.Key}&y=1", Assert.Single(proxies.Function.ReceivedTargets));
        }

        await proxies.Function.DisposeAsync();
        using var failed = await proxies.Caller.GetAsync("/mytest/x");
        using var failedToo = await proxies.Caller.GetAsync("/reflect");

        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.DoesNotContain(proxies.Function.Key, await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(proxies.Logs.Entries, e => e.EventId.Name == "Forwarding");
        Assert.Contains(proxies.Logs.Entries, e => e.EventId.Name == "ProxyMapped");
        proxies.Logs.AssertNeverLogged(proxies.Function.Key);
    }
}
