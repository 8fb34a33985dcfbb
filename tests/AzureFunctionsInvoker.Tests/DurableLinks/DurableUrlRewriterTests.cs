using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class DurableUrlRewriterTests
{
    private const string Management = "https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc";
    private readonly DurableLinkProtector _links = RewriteScopes.Links();

    [Fact]
    public void A_management_url_becomes_a_link_under_the_mount_whose_token_hides_origin_instance_and_key()
    {
        var link = DurableUrlRewriter.Rewrite(Management + "/raiseEvent/{eventName}?taskHub=hub&connection=Storage&code=SECRET", RewriteScopes.For(), _links);

        Assert.NotNull(link);
        Assert.StartsWith(RewriteScopes.MountAddress + "/_durable/", link, StringComparison.Ordinal);
        Assert.EndsWith("/raiseEvent/{eventName}", link, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", link, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", link, StringComparison.Ordinal);
        Assert.DoesNotContain("azurewebsites", link, StringComparison.Ordinal);

        var token = link[(RewriteScopes.MountAddress + "/_durable/").Length..link.IndexOf("/raiseEvent", StringComparison.Ordinal)];
        Assert.True(_links.TryUnprotect(token, TimeSpan.MaxValue, out var hidden));
        Assert.Equal(new DurableLink("https://myapp.azurewebsites.net:443", "instances/abc", "taskHub=hub&connection=Storage&code=SECRET"), hidden);
    }

    [Fact]
    public void The_parameters_a_caller_may_set_stay_readable()
    {
        var link = DurableUrlRewriter.Rewrite(Management + "?code=SECRET&showHistory=true", RewriteScopes.For(), _links);

        Assert.EndsWith("?showHistory=true", link, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://other.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET")]
    [InlineData("https://myapp.azurewebsites.net/runtime/webhooks/durabletask/")]
    [InlineData("https://myapp.azurewebsites.net/api/hello/x")]
    [InlineData("/runtime/webhooks/durabletask/instances/abc")]
    public void Anything_else_is_no_management_url_on_the_origin(string value)
    {
        Assert.Null(DurableUrlRewriter.Rewrite(value, RewriteScopes.For(), _links));
        Assert.False(DurableUrlRewriter.IsManagementUrl(value, new Uri("https://myapp.azurewebsites.net/api/hello/x")));
    }
}
