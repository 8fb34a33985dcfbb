using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="RewriteScope.MountPath"/> and <see cref="RewriteScope.MountAddress"/>: the function's path and address as the
/// caller addresses the mount, from the request's path base, the endpoint's literal prefix and an app mount's
/// <c>/{function}</c>, each URI-encoded as a header or a body needs it.
/// </summary>
public sealed class RewriteScopeMountTests
{
    [Theory]
    [InlineData("", "", "", "")]
    [InlineData("/base", "", "", "/base")]
    [InlineData("", "/orders", "", "/orders")]
    [InlineData("/base", "/orders", "", "/base/orders")]
    [InlineData("/base", "/shop", "/invoices", "/base/shop/invoices")]
    [InlineData("/a b", "/ü", "", "/a%20b/%C3%BC")]
    public void The_path_is_the_path_base_then_the_endpoint_prefix_encoded_then_the_suffix(string pathBase, string endpointPrefix, string suffix, string expected)
    {
        var mount = Scope(Request("https", "app.example.com", pathBase), new PathString(endpointPrefix), suffix);

        Assert.Equal(expected, mount.MountPath);
    }

    [Theory]
    [InlineData("https", "app.example.com", "https://app.example.com/base/orders/echo")]
    [InlineData("http", "127.0.0.1:8080", "http://127.0.0.1:8080/base/orders/echo")]
    [InlineData("https", "bücher.example", "https://xn--bcher-kva.example/base/orders/echo")]
    public void The_address_is_the_callers_scheme_and_host_then_the_path(string scheme, string host, string expected)
    {
        var mount = Scope(Request(scheme, host, "/base"), "/orders", "/echo");

        Assert.Equal(expected, mount.MountAddress);
    }

    [Fact]
    public void A_branch_has_no_endpoint_prefix_its_mount_point_being_the_path_base()
    {
        var branch = Scope(Request("https", "app.example.com", "/mytest"), PathString.Empty, string.Empty);

        Assert.Equal("https://app.example.com/mytest", branch.MountAddress);
    }

    private static RewriteScope Scope(HttpRequest caller, PathString endpointPrefix, string suffix) =>
        new(new Uri("https://myapp.azurewebsites.net/api/hello"), "/api/hello", caller, endpointPrefix, new AzureFunctionProxyOptions(), suffix);

    private static HttpRequest Request(string scheme, string host, string pathBase)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.PathBase = new PathString(pathBase);
        context.Request.Path = "/ignored/below/the/mount";
        return context.Request;
    }
}
