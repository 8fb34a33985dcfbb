using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Rewriting;

public sealed class CookieRewriterTests
{
    [Theory]
    [InlineData("a=1; Domain=azurewebsites.net", "a=1")]
    [InlineData("a=1; Domain=.AzureWebsites.NET; Secure", "a=1; Secure")]
    [InlineData("a=1; Domain=myapp.azurewebsites.net", "a=1")]
    [InlineData("a=1; Domain=net", "a=1")]
    [InlineData("a=1; Domain=otherapp.azurewebsites.net", null)]
    [InlineData("a=1; Domain=yapp.azurewebsites.net", null)]
    [InlineData("a=1; Domain=", null)]
    [InlineData("a=1;Path=/api/hello/x;HttpOnly", "a=1; Path=/base/orders/x;HttpOnly")]
    [InlineData("a=1; Path=/api/hello", "a=1; Path=/base/orders")]
    [InlineData("a=1; Path=/api", null)]
    [InlineData("a=1; Path=/api/hellox", null)]
    [InlineData("Domain=myapp.azurewebsites.net", null)] // a cookie named Domain, no attributes
    [InlineData("a=b; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Domain=myapp.azurewebsites.net; Path=/api/hello", "a=b; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/base/orders")]
    public void Rewrites_domain_and_path_of_the_function_only(string setCookie, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        context.Request.PathBase = "/base";
        PathString mount = "/orders";
        var scope = new RewriteScope(new Uri("https://myapp.azurewebsites.net/api/hello/x"), "/api/hello", context.Request, mount, new AzureFunctionProxyOptions());

        Assert.Equal(expected, CookieRewriter.Rewrite(setCookie, scope));
    }
}
