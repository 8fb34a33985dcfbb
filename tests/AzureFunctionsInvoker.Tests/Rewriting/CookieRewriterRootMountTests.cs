using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="CookieRewriter"/> for a mount at the root of the app (no path base, no route prefix): a <c>Path</c> on the
/// function's route itself becomes <c>/</c>, never an empty <c>Path=</c>, which a browser would read as the request's directory.
/// </summary>
public sealed class CookieRewriterRootMountTests
{
    [Theory]
    [InlineData("a=1; Path=/api/hello", "a=1; Path=/")]
    [InlineData("a=1; Path=/api/hello/", "a=1; Path=/")]
    [InlineData("a=1; Path=/api/hello/cart; Secure", "a=1; Path=/cart; Secure")]
    [InlineData("a=1; path= /API/Hello ;HttpOnly", "a=1; Path=/;HttpOnly")]
    [InlineData("a=1; Path=/api", null)]
    [InlineData("; Path=/api/hello", "; Path=/")]
    [InlineData("a=1;;Path=/api/hello", "a=1;; Path=/")]
    [InlineData("a=1; Secure;;Path=/api/hello/x;;", "a=1; Secure;; Path=/x;;")]
    public void A_path_on_the_functions_route_keeps_its_slash_at_the_root(string setCookie, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        var mount = PathString.Empty;
        var scope = new RewriteScope(new Uri("https://myapp.azurewebsites.net/api/hello"), "/api/hello", context.Request, mount, new AzureFunctionProxyOptions());

        Assert.Equal(expected, CookieRewriter.Rewrite(setCookie, scope));
    }

    [Theory]
    [InlineData("a=1; Domain")]
    [InlineData("a=1; Domain; Secure")]
    public void A_domain_attribute_without_a_value_names_no_domain_even_one_the_host_ends_with(string setCookie)
    {
        var context = new DefaultHttpContext();
        var mount = PathString.Empty;
        var scope = new RewriteScope(new Uri("https://app.domain/api/hello"), "/api/hello", context.Request, mount, new AzureFunctionProxyOptions());

        Assert.Null(CookieRewriter.Rewrite(setCookie, scope));
    }
}
