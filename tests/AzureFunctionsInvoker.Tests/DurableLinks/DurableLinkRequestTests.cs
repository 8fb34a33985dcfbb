using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class DurableLinkRequestTests
{
    private static readonly DurableLink s_instance = new("https://myapp.azurewebsites.net:443", "instances/abc", "taskHub=hub&code=SECRET");
    private readonly DurableLinkProtector _links = RewriteScopes.Links();

    [Theory]
    [InlineData("/_durable/t", true)]
    [InlineData("/_DURABLE/t/terminate", true)]
    [InlineData("/_durable/", true)] // the proxy answers it (404), never the function
    [InlineData("/_durable", false)]
    [InlineData("/_durablex/t", false)]
    [InlineData("/api/_durable/t", false)]
    public void A_path_under_the_links_path_is_a_link_the_function_never_sees(string rest, bool expected) =>
        Assert.Equal(expected, DurableLinkRequest.IsLink(rest, "_durable"));

    [Fact]
    public void No_links_path_makes_no_link() => Assert.False(DurableLinkRequest.IsLink("/_durable/t", string.Empty));

    [Fact]
    public void A_link_reads_back_into_its_management_url_with_the_callers_allowed_parameters_after_the_hidden_ones()
    {
        var token = _links.Protect(s_instance, TimeSpan.FromMinutes(5));

        var pathAndQuery = DurableLinkRequest.Resolve($"/_durable/{token}/Terminate", "?reason=done&code=forged", "_durable", _links, TimeSpan.MaxValue, out var link);

        Assert.Equal(s_instance, link);
        Assert.Equal("/runtime/webhooks/durabletask/instances/abc/terminate?taskHub=hub&code=SECRET&reason=done", pathAndQuery);
    }

    [Theory]
    [InlineData("/nosuchoperation")]
    [InlineData("/terminate/more")]
    public void What_follows_the_token_must_be_an_operation(string after)
    {
        var token = _links.Protect(s_instance, TimeSpan.FromMinutes(5));

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}{after}", string.Empty, "_durable", _links, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    [Fact]
    public void An_operation_applies_only_to_an_instance()
    {
        var token = _links.Protect(s_instance with { Resource = "entities/counter/x" }, TimeSpan.FromMinutes(5));

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}/terminate", string.Empty, "_durable", _links, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("a.b")]
    public void A_token_that_does_not_read_resolves_to_nothing(string token) =>
        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}", string.Empty, "_durable", _links, TimeSpan.MaxValue, out _));

    [Fact]
    public void Another_functions_token_does_not_read()
    {
        var other = new DurableLinkProtector(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider(), "Other", TimeProvider.System);
        var token = other.Protect(s_instance, TimeSpan.FromMinutes(5));

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}", string.Empty, "_durable", _links, TimeSpan.MaxValue, out _));
    }
}
