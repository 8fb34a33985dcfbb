using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// Every way a proxies.json is refused when the app starts: the message names the file, the proxy, the element and
/// the line, and never a setting's value.
/// </summary>
public sealed class FunctionsProxiesStartupErrorTests
{
    public static TheoryData<string, string, string[]> Refused => new()
    {
        {
            "not JSON",
            "{\n  \"proxies\": {\n    \"a\": { \"matchCondition\": { \"route\": \"/a\" } ,, }\n  }\n}",
            ["proxies.json", "line 3", "not valid JSON"]
        },
        {
            "a setting that does not exist",
            "{ \"proxies\": {\n \"orders\": {\n \"matchCondition\": { \"route\": \"/o\" },\n \"backendUri\": \"https://%Orders:Host%/api/orders\" } } }",
            ["proxies.json", "proxy 'orders'", "backendUri", "line 4", "'Orders:Host'"]
        },
        {
            "a route parameter in the host",
            "{ \"proxies\": { \"evil\": {\n \"matchCondition\": { \"route\": \"/go/{host}/{*rest}\" },\n \"backendUri\": \"https://{host}/{rest}\" } } }",
            ["proxy 'evil'", "backendUri", "line 3", "never in its scheme, host or port"]
        },
        {
            "a request variable right after the host",
            "{ \"proxies\": { \"evil\": { \"matchCondition\": { \"route\": \"/go\" }, \"backendUri\": \"https://example.com{request.querystring.to}\" } } }",
            ["proxy 'evil'", "backendUri", "never in its scheme, host or port"]
        },
        {
            "a request header as the port",
            "{ \"proxies\": { \"evil\": { \"matchCondition\": { \"route\": \"/go\" }, \"backendUri\": \"https://example.com:{request.headers.X-Port}/x\" } } }",
            ["proxy 'evil'", "never in its scheme, host or port"]
        },
        {
            "localhost without LocalFunctionApp",
            "{ \"proxies\": { \"self\": { \"matchCondition\": { \"route\": \"/self\" }, \"backendUri\": \"https://localhost/api/hello\" } } }",
            ["proxy 'self'", "backendUri", "LocalFunctionApp"]
        },
        {
            "two proxies with the same route and a method in common",
            "{ \"proxies\": {\n \"first\": { \"matchCondition\": { \"route\": \"/pets/{id}\", \"methods\": [\"GET\", \"PUT\"] } },\n \"second\": { \"matchCondition\": { \"route\": \"/Pets/{petId}\", \"methods\": [\"get\"] } } } }",
            ["'first'", "'second'", "/Pets/{petId}", "GET"]
        },
        {
            "a misspelt element",
            "{ \"proxies\": { \"typo\": {\n \"matchCondition\": { \"route\": \"/t\" },\n \"backendUrl\": \"https://example.com/\" } } }",
            ["proxy 'typo'", "backendUrl", "line 3", "unknown element"]
        },
        {
            "an unknown override",
            "{ \"proxies\": { \"o\": { \"matchCondition\": { \"route\": \"/o\" }, \"backendUri\": \"https://example.com/\",\n \"requestOverrides\": { \"backend.request.body\": \"x\" } } } }",
            ["proxy 'o'", "backend.request.body", "line 2"]
        },
        {
            "an invalid route template",
            "{ \"proxies\": { \"r\": { \"matchCondition\": { \"route\": \"/a/{b\" } } } }",
            ["proxy 'r'", "matchCondition.route", "not a valid route template"]
        },
        {
            "no route",
            "{ \"proxies\": { \"r\": { \"matchCondition\": { \"methods\": [\"GET\"] } } } }",
            ["proxy 'r'", "matchCondition.route", "required"]
        },
        {
            "an unclosed brace",
            "{ \"proxies\": { \"b\": { \"matchCondition\": { \"route\": \"/b\" }, \"responseOverrides\": { \"response.body\": \"{oops\" } } } }",
            ["proxy 'b'", "response.body", "'{{'"]
        },
        {
            "an unknown variable",
            "{ \"proxies\": { \"v\": { \"matchCondition\": { \"route\": \"/v\" }, \"backendUri\": \"https://example.com/{nope}\" } } }",
            ["proxy 'v'", "backendUri", "'{nope}'"]
        },
        {
            "a backend response variable in a mock",
            "{ \"proxies\": { \"m\": { \"matchCondition\": { \"route\": \"/m\" }, \"responseOverrides\": { \"response.body\": \"{backend.response.statusCode}\" } } } }",
            ["proxy 'm'", "response.body", "backend.response"]
        },
        {
            "TRACE as the backend method",
            "{ \"proxies\": { \"t\": { \"matchCondition\": { \"route\": \"/t\" }, \"backendUri\": \"https://example.com/\", \"requestOverrides\": { \"backend.request.method\": \"TRACE\" } } } }",
            ["proxy 't'", "backend.request.method", "TRACE"]
        },
        {
            "a scheme other than http and https",
            "{ \"proxies\": { \"f\": { \"matchCondition\": { \"route\": \"/f\" }, \"backendUri\": \"file:///etc/passwd\" } } }",
            ["proxy 'f'", "absolute http or https URL"]
        },
        {
            "a status code that is none",
            "{ \"proxies\": { \"s\": { \"matchCondition\": { \"route\": \"/s\" }, \"responseOverrides\": { \"response.statusCode\": 42 } } } }",
            ["proxy 's'", "response.statusCode", "'42'"]
        },
        {
            "no proxies object",
            "{ \"$schema\": \"http://json.schemastore.org/proxies\" }",
            ["proxies.json", "'proxies'"]
        },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_app_does_not_start_and_the_message_says_where(string what, string proxiesJson, string[] named)
    {
        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder().ServingProxiesFile(proxiesJson, localFunctionApp: false).StartAsync());

        Assert.All(named, text => Assert.True(e.Message.Contains(text, StringComparison.Ordinal), $"{what}: '{text}' is not in: {e.Message}"));
    }

    [Fact]
    public async Task A_missing_file_names_the_option_to_set()
    {
        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder()
            .ServingProxiesFile("{ \"proxies\": {} }", settings: new Dictionary<string, string?> { ["FunctionsProxies:File"] = "no-such-proxies.json" })
            .StartAsync());

        Assert.Contains("no-such-proxies.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("FunctionsProxies:File", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_holding_a_key_is_never_in_the_message()
    {
        const string file = """
            { "proxies": { "k": { "matchCondition": { "route": "/k" }, "backendUri": "https://example.com:%StandIn:Key%/x" } } }
            """;

        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder().ServingProxiesFile(file).StartAsync());

        Assert.Contains("proxy 'k'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotMatch("[0-9A-F]{32}", e.Message);
    }

    [Fact]
    public async Task Options_out_of_range_name_their_key()
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => new ProxyHostBuilder()
            .ServingProxiesFile("{ \"proxies\": {} }", settings: new Dictionary<string, string?> { ["FunctionsProxies:Timeout"] = "0" })
            .StartAsync());

        Assert.Contains("FunctionsProxies:Timeout", e.Message, StringComparison.Ordinal);
    }
}
