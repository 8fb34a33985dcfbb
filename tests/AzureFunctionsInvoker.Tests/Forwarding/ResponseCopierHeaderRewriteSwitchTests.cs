using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="ResponseCopier.RewriteHeaders"/> on its own: which option turns which rewrite on, every value of a header
/// rewritten in its place, and the Durable answer told by its <c>Location</c> alone.
/// </summary>
public sealed class ResponseCopierHeaderRewriteSwitchTests
{
    private static readonly DurableLinkProtector s_links = new(new EphemeralDataProtectionProvider(), "Hello", TimeProvider.System);

    private const string Origin = "https://myapp.azurewebsites.net";
    private const string Management = Origin + "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&code=KEY";

    [Fact]
    public void Every_value_of_location_content_location_and_set_cookie_is_rewritten_in_its_place()
    {
        IHeaderDictionary headers = new HeaderDictionary
        {
            ["Location"] = new[] { "https://elsewhere.example/x", Origin + "/api/hello/a" },
            ["Content-Location"] = new[] { "/api/hello/b", "/other" },
            ["Set-Cookie"] = new[] { "a=1", "b=2; Path=/api/hello/c" },
        };

        var durable = ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions { DurableLinksPath = "" }), s_links);

        Assert.False(durable);
        Assert.Equal(new[] { "https://elsewhere.example/x", "https://app.example.com/orders/a" }, (string[])headers.Location!);
        Assert.Equal(new[] { "/orders/b", "/other" }, (string[])headers.ContentLocation!);
        Assert.Equal(new[] { "a=1", "b=2; Path=/orders/c" }, (string[])headers.SetCookie!);
    }

    [Fact]
    public void Headers_with_nothing_to_rewrite_are_left_as_they_are()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = "/other", ["Content-Location"] = "/else", ["Set-Cookie"] = "a=1" };

        Assert.False(ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions()), s_links));

        Assert.Equal("/other", headers.Location);
        Assert.Equal("/else", headers.ContentLocation);
        Assert.Equal("a=1", headers.SetCookie);
    }

    [Fact]
    public void RewriteRedirects_off_leaves_references_on_the_route_but_not_durable_urls()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = Management, ["Content-Location"] = "/api/hello/b" };

        var durable = ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions { RewriteRedirects = false }), s_links);

        Assert.True(durable);
        Assert.StartsWith("https://app.example.com/orders/_durable/", headers.Location.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("KEY", headers.Location.ToString(), StringComparison.Ordinal);
        Assert.Equal("/api/hello/b", headers.ContentLocation);
    }

    [Fact]
    public void Durable_links_off_leave_a_management_url_to_the_redirect_rules_and_say_nothing_is_durable()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = Management };

        var durable = ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions { DurableLinksPath = "" }), s_links);

        Assert.False(durable);
        Assert.Equal(Management, headers.Location);
    }

    [Fact]
    public void With_both_off_nothing_but_cookies_is_rewritten()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = "/api/hello/a", ["Content-Location"] = Management, ["Set-Cookie"] = "a=1; Path=/api/hello" };

        var durable = ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions { RewriteRedirects = false, DurableLinksPath = "" }), s_links);

        Assert.False(durable);
        Assert.Equal("/api/hello/a", headers.Location);
        Assert.Equal(Management, headers.ContentLocation);
        Assert.Equal("a=1; Path=/orders", headers.SetCookie);
    }

    [Fact]
    public void RewriteCookies_off_leaves_cookies()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Set-Cookie"] = "a=1; Path=/api/hello", ["Location"] = "/api/hello/a" };

        ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions { RewriteCookies = false }), s_links);

        Assert.Equal("a=1; Path=/api/hello", headers.SetCookie);
        Assert.Equal("/orders/a", headers.Location);
    }

    [Fact]
    public void A_durable_content_location_alone_does_not_make_the_answer_durable()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = "/api/hello/a", ["Content-Location"] = Management };

        Assert.False(ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions()), s_links));
        Assert.StartsWith("https://app.example.com/orders/_durable/", headers.ContentLocation.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_management_url_among_several_locations_makes_the_answer_durable()
    {
        IHeaderDictionary headers = new HeaderDictionary { ["Location"] = new[] { "/other", Management } };

        Assert.True(ResponseCopier.RewriteHeaders(headers, Scope(new AzureFunctionProxyOptions()), s_links));
        Assert.Equal("/other", headers.Location[0]);
    }

    private static RewriteScope Scope(AzureFunctionProxyOptions options)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        PathString mount = "/orders";
        return new RewriteScope(new Uri(Origin + "/api/hello/x"), "/api/hello", context.Request, mount, options);
    }
}
