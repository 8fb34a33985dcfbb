using AzureFunctionsInvoker.Rewriting;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Rewriting;

public sealed class RewriteScopeRedirectTests
{
    [Theory]
    [InlineData("https://myapp.azurewebsites.net/api/hello/next?a=1#f", "https://app.example.com/base/orders/next?a=1#f")]
    [InlineData("https://MYAPP.azurewebsites.net:443/API/Hello", "https://app.example.com/base/orders")]
    [InlineData("/api/hello/x/y", "/base/orders/x/y")]
    [InlineData("/api/hello?page=2", "/base/orders?page=2")]
    [InlineData("/api/hello/a%2Fb", "/base/orders/a%2Fb")]
    public void A_reference_on_the_functions_route_moves_onto_the_mount_with_its_rest_as_written(string location, string expected) =>
        Assert.Equal(expected, RewriteScopes.For().RewriteRedirect(location));

    [Theory]
    [InlineData("https://myapp.azurewebsites.net/api/other")]
    [InlineData("https://myapp.azurewebsites.net/api/hellox")]
    [InlineData("http://myapp.azurewebsites.net/api/hello")]
    [InlineData("https://myapp.azurewebsites.net:8443/api/hello")]
    [InlineData("https://evil.example/api/hello")]
    [InlineData("https://user@myapp.azurewebsites.net/api/hello")]
    [InlineData("//myapp.azurewebsites.net/api/hello")]
    [InlineData("next")]
    public void A_reference_elsewhere_is_left_alone(string location) =>
        Assert.Null(RewriteScopes.For().RewriteRedirect(location));

    [Fact]
    public void Under_an_app_mount_the_function_segment_follows_the_mount()
    {
        var scope = RewriteScopes.For(functionPath: "/api/orders", mountSuffix: "/orders");

        Assert.Equal("/base/orders/orders/42", scope.RewriteRedirect("/api/orders/42"));
    }

    [Theory]
    [InlineData("/api/hello", "/")]
    [InlineData("/api/hello/x", "/x")]
    [InlineData("/api/hello//evil.example", "/%2Fevil.example")]
    [InlineData("/api/hello/\\evil.example", "/%5Cevil.example")]
    [InlineData("/api/hello/\t/evil.example", "/%2Fevil.example")]
    [InlineData("/api/hello/\r\n\\evil.example", "/%5Cevil.example")]
    [InlineData("/api/hello/a\tb\nc?d\re#f", "/abc?de#f")]
    [InlineData("https://myapp.azurewebsites.net/api/hello//x", "https://app.example.com//x")]
    public void At_a_root_mount_a_reference_stays_on_the_callers_host_as_browsers_read_it(string location, string expected)
    {
        // No path base, no route prefix: the rest starts a path-absolute reference, where "//" or "/\\" (browsers drop tabs
        // and newlines first) would name another host; an absolute one keeps the caller's host in front.
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        var scope = new RewriteScope(new Uri("https://myapp.azurewebsites.net/api/hello"), "/api/hello", context.Request, PathString.Empty, new AzureFunctionProxyOptions());

        Assert.Equal(expected, scope.RewriteRedirect(location));
    }

    [Fact]
    public void Under_a_mount_tabs_and_newlines_are_removed_and_the_mount_keeps_the_reference_on_its_path()
        => Assert.Equal("/base/orders//x", RewriteScopes.For().RewriteRedirect("/api/hello/\t/x"));
}
