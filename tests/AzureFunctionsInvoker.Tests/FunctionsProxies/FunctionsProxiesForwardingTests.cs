using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// The elements and variables of a proxies.json, over real sockets against the stand-in Function App: what reaches
/// the backend, and what the caller gets.
/// </summary>
public sealed class FunctionsProxiesForwardingTests
{
    private const string Echo = """
        {
          "$schema": "http://json.schemastore.org/proxies",
          "proxies": {
            "all": {
              "matchCondition": { "route": "/api/{*rest}" },
              "backendUri": "http://%StandIn:Host%/api/echo/{rest}",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            },
            "pet": {
              "matchCondition": { "route": "/pets/{id}", "methods": [ "GET" ] },
              "backendUri": "http://%StandIn:Host%/api/echo/pets/{id}?from=proxy",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            },
            "search": {
              "matchCondition": { "route": "/search", "methods": [ "GET", "POST" ] },
              "backendUri": "http://%StandIn:Host%/api/echo/by/{request.querystring.q}",
              "debug": true,
              "requestOverrides": {
                "backend.request.method": "PUT",
                "backend.request.headers.x-functions-key": "%StandIn:Key%",
                "backend.request.headers.X-Caller-Method": "{request.method}",
                "backend.request.headers.X-Token": "{request.headers.X-Token}",
                "backend.request.querystring.page": "{request.querystring.p}",
                "backend.request.querystring.empty": ""
              }
            },
            "local": {
              "matchCondition": { "route": "/local/{*rest}" },
              "backendUri": "https://localhost/api/echo/local/{rest}"
            }
          }
        }
        """;

    [Fact]
    public async Task A_catch_all_reaches_a_host_named_by_a_setting_with_the_settings_key_and_the_callers_query()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.GetAsync("/api/a/b%20c?x=1&y=%2F");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await StandInFunction.Echo.ReadAsync(response);
        Assert.Equal("GET", echo.Method);
        Assert.Equal("/api/echo/a/b%20c?x=1&y=%2F", echo.Target);
        Assert.Equal(proxies.Function.Key, Assert.Single(echo.Headers["x-functions-key"]));
    }

    [Fact]
    public async Task A_route_parameter_stays_one_segment_and_the_backendUris_query_comes_first()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.GetAsync("/pets/a%2Fb?from=caller&k=v");

        var echo = await StandInFunction.Echo.ReadAsync(response);
        Assert.Equal("/api/echo/pets/a%2Fb?from=proxy&k=v", echo.Target);
    }

    [Fact]
    public async Task Method_header_and_query_overrides_use_the_callers_request()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/search?q=cats/dogs&p=2&page=9&other=1");
        request.Headers.Add("X-Token", "t-1");
        request.Headers.Add("Proxy-Trace-Enabled", "true");
        request.Content = new StringContent("body");

        using var response = await proxies.Caller.SendAsync(request);

        var echo = await StandInFunction.Echo.ReadAsync(response);
        Assert.Equal("PUT", echo.Method);
        Assert.Equal("/api/echo/by/cats%2Fdogs?q=cats/dogs&p=2&other=1&page=2&empty=", echo.Target);
        Assert.Equal("POST", Assert.Single(echo.Headers["X-Caller-Method"]));
        Assert.Equal("t-1", Assert.Single(echo.Headers["X-Token"]));
        Assert.False(echo.Headers.ContainsKey("Proxy-Trace-Enabled"));
        Assert.Equal(4, echo.BodyLength);
    }

    [Fact]
    public async Task A_request_variable_that_is_absent_is_empty()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.GetAsync("/search");

        var echo = await StandInFunction.Echo.ReadAsync(response);
        Assert.Equal("/api/echo/by/?page=&empty=", echo.Target);
        Assert.Equal(string.Empty, Assert.Single(echo.Headers["X-Token"]));
    }

    [Fact]
    public async Task A_method_the_proxy_does_not_list_is_404_not_405()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.DeleteAsync("/pets/1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(proxies.Function.ReceivedTargets);
    }

    [Fact]
    public async Task Localhost_is_the_local_function_apps_host_with_its_key()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.GetAsync("/local/x/y?z=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await StandInFunction.Echo.ReadAsync(response);
        Assert.Equal("/api/echo/local/x/y?z=1", echo.Target);
        Assert.Equal(proxies.Function.Key, Assert.Single(echo.Headers["x-functions-key"]));
    }

    [Fact]
    public async Task A_local_backendUri_with_its_own_code_sends_that_code_and_not_the_functions_key()
    {
        const string file = """
            { "proxies": { "coded": { "matchCondition": { "route": "/coded" }, "backendUri": "http://localhost/api/echo/coded?code=file-key" } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();

        using var response = await proxies.Caller.GetAsync("/coded");

        // The stand-in reads the header only, so without it the function refuses: the key was not sent.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("/api/echo/coded?code=file-key", Assert.Single(proxies.Function.ReceivedTargets));
    }

    [Fact]
    public async Task Trace_is_refused_before_the_backend()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Echo).StartAsync();

        using var response = await proxies.Caller.SendAsync(new HttpRequestMessage(HttpMethod.Trace, "/api/x"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Empty(proxies.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_unreachable_backend_is_a_502_problem_naming_no_address()
    {
        const string file = """
            { "proxies": { "gone": { "matchCondition": { "route": "/gone" }, "backendUri": "http://127.0.0.1:1/api/x?code=%StandIn:Key%" } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();

        using var response = await proxies.Caller.GetAsync("/gone");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.Contains(proxies.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable" && e.Text.Contains("'gone'", StringComparison.Ordinal));
    }
}
