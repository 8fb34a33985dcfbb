using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>responseOverrides, mocks, redirects, disabled proxies and literal braces, over real sockets.</summary>
public sealed class FunctionsProxiesResponseTests
{
    private const string File = """
        {
          "proxies": {
            "mock": {
              "matchCondition": { "route": "/hello/{name}", "methods": [ "GET" ] },
              "responseOverrides": {
                "response.body": "Hello, {name} ({request.querystring.lang}) {{literal}}",
                "response.headers.Content-Type": "text/plain"
              }
            },
            "json": {
              "matchCondition": { "route": "/json" },
              "responseOverrides": { "response.body": { "ok": true, "braces": "{x}" }, "response.statusCode": 201 }
            },
            "redirect": {
              "matchCondition": { "route": "/old/{*rest}" },
              "responseOverrides": {
                "response.statusCode": "301",
                "response.statusReason": "Gone Elsewhere",
                "response.headers.Location": "https://example.com/new/{rest}"
              }
            },
            "status": {
              "matchCondition": { "route": "/status/{code:int}" },
              "backendUri": "http://%StandIn:Host%/api/status/{code}",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" },
              "responseOverrides": {
                "response.statusCode": "200",
                "response.headers.X-Backend-Status": "{backend.response.statusCode} {backend.response.statusReason}",
                "response.headers.X-Backend-Location": "{backend.response.headers.Location}",
                "response.headers.Location": ""
              }
            },
            "replaced": {
              "matchCondition": { "route": "/replaced" },
              "backendUri": "http://%StandIn:Host%/api/download/5000",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" },
              "responseOverrides": { "response.body": "was {backend.response.headers.Content-Length} bytes" }
            },
            "off": {
              "disabled": true,
              "matchCondition": { "route": "/off" },
              "backendUri": "http://%StandIn:Host%/api/echo"
            }
          }
        }
        """;

    [Fact]
    public async Task A_mock_answers_from_its_overrides_with_route_and_query_values_and_literal_braces()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/hello/Kong?lang=en");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Hello, Kong (en) {literal}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_body_written_as_json_is_sent_as_that_json()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.PostAsync("/json", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""{ "ok": true, "braces": "{x}" }""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_redirect_has_its_status_reason_and_location()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/old/a/b");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("Gone Elsewhere", response.ReasonPhrase);
        Assert.Equal("https://example.com/new/a/b", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Backend_response_variables_are_the_backends_and_an_empty_header_removes_it()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/status/302");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("302 Found", Assert.Single(response.Headers.GetValues("X-Backend-Status")));
        Assert.Equal("https://elsewhere.example/", Assert.Single(response.Headers.GetValues("X-Backend-Location")));
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task A_body_override_replaces_the_backends_body()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/replaced");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("was 5000 bytes", await response.Content.ReadAsStringAsync());
        Assert.Equal(14, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task A_disabled_proxy_answers_404_without_calling_its_backend()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/off");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(proxies.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_failed_forward_keeps_the_proxys_error_rather_than_the_overrides()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();
        await proxies.Function.DisposeAsync();

        using var response = await proxies.Caller.GetAsync("/status/200");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Backend-Status"));
    }
}
