using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class ResponseCopierHeaderRewriteTests
{
    private const string Management = "https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET";

    [Fact]
    public void Location_content_location_and_each_cookie_are_rewritten_for_the_caller()
    {
        IHeaderDictionary headers = new HeaderDictionary
        {
            [HeaderNames.Location] = "https://myapp.azurewebsites.net/api/hello/next",
            [HeaderNames.ContentLocation] = "/api/hello/here",
            [HeaderNames.SetCookie] = new(["a=1; Path=/api/hello", "b=2; Domain=other.example"]),
        };

        var durable = ResponseCopier.RewriteHeaders(headers, RewriteScopes.For(), RewriteScopes.Links());

        Assert.False(durable);
        Assert.Equal("https://app.example.com/base/orders/next", headers.Location.ToString());
        Assert.Equal("/base/orders/here", headers.ContentLocation.ToString());
        Assert.Equal("a=1; Path=/base/orders,b=2; Domain=other.example", headers.SetCookie.ToString());
    }

    [Fact]
    public void A_durable_location_becomes_a_link_and_marks_the_response_as_durables_own()
    {
        IHeaderDictionary headers = new HeaderDictionary { [HeaderNames.Location] = Management };

        var durable = ResponseCopier.RewriteHeaders(headers, RewriteScopes.For(), RewriteScopes.Links());

        Assert.True(durable);
        Assert.StartsWith(RewriteScopes.MountAddress + "/_durable/", headers.Location.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_options_turn_off_is_left_as_the_function_wrote_it()
    {
        var options = new AzureFunctionProxyOptions { RewriteRedirects = false, RewriteCookies = false, DurableLinksPath = string.Empty };
        IHeaderDictionary headers = new HeaderDictionary { [HeaderNames.Location] = Management, [HeaderNames.SetCookie] = "a=1; Path=/api/hello" };

        var durable = ResponseCopier.RewriteHeaders(headers, RewriteScopes.For(options: options), RewriteScopes.Links());

        Assert.False(durable);
        Assert.Equal(Management, headers.Location.ToString());
        Assert.Equal("a=1; Path=/api/hello", headers.SetCookie.ToString());
    }

    [Fact]
    public void Every_value_of_a_header_is_rewritten_not_only_the_last()
    {
        IHeaderDictionary headers = new HeaderDictionary
        {
            [HeaderNames.SetCookie] = new(["a=1; Path=/api/hello", "b=2", "c=3; Path=/api/hello/x"]),
        };

        ResponseCopier.RewriteHeaders(headers, RewriteScopes.For(), RewriteScopes.Links());

        Assert.Equal("a=1; Path=/base/orders,b=2,c=3; Path=/base/orders/x", headers.SetCookie.ToString());
    }

    [Fact]
    public void A_management_url_on_the_functions_route_becomes_a_link_never_a_redirect_that_keeps_its_key()
    {
        // An app mount on a Function App with an empty route prefix: every path of the host is on its route, Durable's
        // webhook path too, so the redirect rewriter alone would move the URL under the mount with its code.
        IHeaderDictionary headers = new HeaderDictionary { [HeaderNames.Location] = Management };

        var durable = ResponseCopier.RewriteHeaders(headers, RewriteScopes.For(functionPath: string.Empty), RewriteScopes.Links());

        Assert.True(durable);
        Assert.StartsWith(RewriteScopes.MountAddress + "/_durable/", headers.Location.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", headers.Location.ToString(), StringComparison.Ordinal);
    }
}
