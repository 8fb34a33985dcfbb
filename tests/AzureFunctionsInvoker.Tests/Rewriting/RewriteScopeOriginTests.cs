using AzureFunctionsInvoker.Rewriting;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Rewriting;

public sealed class RewriteScopeOriginTests
{
    // A request sent to the function's own address, on its route /api/hello.
    private static readonly RewriteScope s_scope = RewriteScopes.For(sentTo: "https://myapp.azurewebsites.net/api/hello", functionPath: "/api/hello");

    [Theory]
    [InlineData("https://myapp.azurewebsites.net/api/x?q=1#f", true, "/api/x", "?q=1#f")]
    [InlineData("https://myapp.azurewebsites.net:443/api/x", true, "/api/x", "")]
    [InlineData("HTTPS://MyApp.AzureWebsites.net", true, "", "")]
    [InlineData("/api/x#f", false, "/api/x", "#f")]
    [InlineData("https://myapp.azurewebsites.net?q=1", true, "", "?q=1")]
    [InlineData("/", false, "/", "")]
    public void Splits_a_url_on_the_origin_into_its_path_and_the_rest_as_written(string value, bool absolute, string path, string tail)
    {
        Assert.True(s_scope.TrySplit(value, pathAbsolute: true, out var isAbsolute, out var actualPath, out var actualTail));
        Assert.Equal((absolute, path, tail), (isAbsolute, actualPath.ToString(), actualTail.ToString()));
    }

    [Theory]
    [InlineData("https://myapp.azurewebsites.net:8443/api/x")]
    [InlineData("http://myapp.azurewebsites.net/api/x")]
    [InlineData("https://other.azurewebsites.net/api/x")]
    [InlineData("https://a@myapp.azurewebsites.net/api/x")]
    [InlineData("//myapp.azurewebsites.net/api/x")]
    [InlineData("api/x")]
    [InlineData("")]
    [InlineData("https:///myapp.azurewebsites.net/api/x")]
    [InlineData("https://my app.azurewebsites.net/api/x")]
    public void Refuses_what_is_not_on_the_origin(string value) =>
        Assert.False(s_scope.TrySplit(value, pathAbsolute: true, out _, out _, out _));

    [Fact]
    public void A_path_absolute_reference_counts_only_when_asked_for() =>
        Assert.False(s_scope.TrySplit("/api/x", pathAbsolute: false, out _, out _, out _));

    [Theory]
    [InlineData("/api/hello", "")]
    [InlineData("/API/Hello/x", "/x")]
    [InlineData("/api/hellox", null)]
    [InlineData("/api", null)]
    public void The_rest_below_a_route_starts_at_a_segment_boundary(string path, string? rest)
    {
        var below = s_scope.TryGetBelowRoute(path, out var actual);

        Assert.Equal(rest, below ? actual.ToString() : null);
    }

    [Theory]
    [InlineData("myapp.azurewebsites.net", true)]
    [InlineData(".azurewebsites.net", true)]
    [InlineData("net", true)]
    [InlineData("yapp.azurewebsites.net", false)]
    [InlineData("other.azurewebsites.net", false)]
    [InlineData(" ", false)]
    public void A_cookie_domain_names_the_host_or_a_parent_of_it(string domain, bool expected) =>
        Assert.Equal(expected, s_scope.IsHostOrParent(domain));

    [Fact]
    public void A_blank_cookie_domain_names_no_host_not_even_a_fully_qualified_one()
    {
        var qualified = RewriteScopes.For(sentTo: "https://myapp.azurewebsites.net./api/hello");

        Assert.True(qualified.IsHostOrParent("azurewebsites.net."));
        Assert.False(qualified.IsHostOrParent(" "));
    }
}
