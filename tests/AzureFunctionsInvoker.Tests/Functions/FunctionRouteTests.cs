using AzureFunctionsInvoker.Functions;

namespace AzureFunctionsInvoker.Tests.Functions;

public sealed class FunctionRouteTests
{
    [Theory]
    [InlineData("myapp", "azurewebsites.net", "/api", "hello", true, null, "https://myapp.azurewebsites.net/api/hello")]
    [InlineData("myapp", "azurewebsites.net", "api/", "/hello/", true, null, "https://myapp.azurewebsites.net/api/hello")]
    [InlineData("myapp", "azurewebsites.net", "", "hello", true, null, "https://myapp.azurewebsites.net/hello")]
    [InlineData("myapp", "azurewebsites.net", "/", "hello", true, null, "https://myapp.azurewebsites.net/hello")]
    [InlineData("myapp", "azurewebsites.net", "/v1/api", "hello", false, null, "http://myapp.azurewebsites.net/v1/api/hello")]
    [InlineData("localhost", "", "/api", "hello", false, 7071, "http://localhost:7071/api/hello")]
    [InlineData("127.0.0.1", "", "/api", "hello", true, 8443, "https://127.0.0.1:8443/api/hello")]
    [InlineData("::1", "", "/api", "hello", false, 7071, "http://[::1]:7071/api/hello")]
    [InlineData("myapp", "contoso.com", "/api", "hello", true, 443, "https://myapp.contoso.com:443/api/hello")]
    public void Builds_the_plugins_target(string appName, string hostDomain, string routePrefix, string functionName, bool https, int? port, string expected)
    {
        var route = new FunctionRoute(new AzureFunctionProxyOptions
        {
            AppName = appName,
            HostDomain = hostDomain,
            RoutePrefix = routePrefix,
            FunctionName = functionName,
            Https = https,
            Port = port,
        });

        Assert.Equal(expected, route.Resolve(string.Empty, string.Empty).OriginalString);
    }

    [Theory]
    [InlineData("/a%20b", "", "/api/hello/a%20b")]
    [InlineData("/a%2Fb", "?x=%2F", "/api/hello/a%2Fb?x=%2F")]
    [InlineData("", "?b=2&a=1&a=3&flag&e=%zz", "/api/hello?b=2&a=1&a=3&flag&e=%zz")]
    [InlineData("/%7E/%41", "?%41=%7e", "/api/hello/%7E/%41?%41=%7e")]
    public void Appends_the_rest_and_query_verbatim(string rest, string query, string expectedPathAndQuery)
    {
        var route = new FunctionRoute(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" });

        var uri = route.Resolve(rest, query);

        Assert.Equal(expectedPathAndQuery, uri.PathAndQuery);
        Assert.Equal("myapp.azurewebsites.net", uri.Host);
    }

    [Fact]
    public void Describes_itself_by_authority_only()
    {
        var route = new FunctionRoute(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = "secret" });

        Assert.Equal("https://myapp.azurewebsites.net", route.ToString());
    }
}
