using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="RewriteScope.RewriteRedirect"/> on its own: a reference to the function's route, on the origin the request went to
/// (its default port written or not) or path-absolute, comes back under the mount; nothing else is touched.
/// </summary>
public sealed class RewriteScopeRedirectOriginTests
{
    [Theory]
    [InlineData("https://myapp.azurewebsites.net/api/hello/login?x=1#top", "https://app.example.com/base/orders/login?x=1#top")]
    [InlineData("https://myapp.azurewebsites.net:443/api/hello/login", "https://app.example.com/base/orders/login")]
    [InlineData("HTTPS://MyApp.AzureWebsites.NET:443/api/hello", "https://app.example.com/base/orders")]
    [InlineData("https://myapp.azurewebsites.net:443", null)]
    [InlineData("https://myapp.azurewebsites.net:8443/api/hello/login", null)]
    [InlineData("http://myapp.azurewebsites.net:443/api/hello/login", null)]
    [InlineData("http://myapp.azurewebsites.net:80/api/hello/login", null)]
    [InlineData("/api/hello/login", "/base/orders/login")]
    [InlineData("/api/hello", "/base/orders")]
    [InlineData("//myapp.azurewebsites.net/api/hello", null)]
    [InlineData("/api/hellothere", null)]
    public void Rewrites_references_to_the_functions_route_on_its_origin(string location, string? expected) =>
        Assert.Equal(expected, Scope(new Uri("https://myapp.azurewebsites.net/api/hello/x"), "/orders").RewriteRedirect(location));

    [Theory]
    [InlineData("http://127.0.0.1:80/api/hello/a", "https://app.example.com/base/orders/a")]
    [InlineData("http://127.0.0.1/api/hello/a", "https://app.example.com/base/orders/a")]
    [InlineData("http://127.0.0.1:8080/api/hello/a", null)]
    public void An_http_origin_matches_its_default_port_written_or_not(string location, string? expected) =>
        Assert.Equal(expected, Scope(new Uri("http://127.0.0.1/api/hello/x"), "/orders").RewriteRedirect(location));

    [Theory]
    [InlineData("/api/hello", "/")]
    [InlineData("/api/hello/", "/")]
    [InlineData("/api/hello/a", "/a")]
    public void At_the_root_of_the_app_a_path_absolute_reference_keeps_its_slash(string location, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        var mount = PathString.Empty;
        var scope = new RewriteScope(new Uri("https://myapp.azurewebsites.net/api/hello"), "/api/hello", context.Request, mount, new AzureFunctionProxyOptions());

        Assert.Equal(expected, scope.RewriteRedirect(location));
    }

    private static RewriteScope Scope(Uri target, string endpointPrefix)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        context.Request.PathBase = "/base";
        PathString mount = endpointPrefix;
        return new RewriteScope(target, "/api/hello", context.Request, mount, new AzureFunctionProxyOptions());
    }
}
