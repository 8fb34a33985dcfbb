using System.Text.RegularExpressions;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.OutputCaching;

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
    [InlineData("https://myapp.azurewebsites.net/api/hello/a-path-longer-than-the-webhook-path")]
    public void Anything_else_is_no_management_url_on_the_origin(string value)
    {
        Assert.Null(DurableUrlRewriter.Rewrite(value, RewriteScopes.For(), _links));
        Assert.False(DurableUrlRewriter.IsManagementUrl(value, new Uri("https://myapp.azurewebsites.net/api/hello/x")));
    }

    [Theory]
    [InlineData("", "", "", "")]
    [InlineData("?showHistory=true#f", "showHistory=true", "#f", "")]
    [InlineData("#f", "", "#f", "")]
    [InlineData("?code=SECRET#f?x", "", "#f?x", "code=SECRET")]
    public void A_link_is_its_token_then_the_callers_parameters_then_the_fragment(string tail, string visible, string fragment, string hidden)
    {
        var link = DurableUrlRewriter.Rewrite(Management + tail, RewriteScopes.For(), _links);

        var shape = Regex.Match(link!, "^" + Regex.Escape(RewriteScopes.MountAddress + "/_durable/") + "([A-Za-z0-9_-]+)(.*)$");
        Assert.True(shape.Success, link);
        Assert.Equal((visible.Length > 0 ? "?" + visible : string.Empty) + fragment, shape.Groups[2].Value);
        Assert.True(_links.TryUnprotect(shape.Groups[1].Value, TimeSpan.MaxValue, out var hiddenLink));
        Assert.Equal(new DurableLink("https://myapp.azurewebsites.net:443", "instances/abc", hidden), hiddenLink);
    }

    [Theory]
    [InlineData("entities/ab/terminate")]
    [InlineData("entities/counter/x/terminate")]
    [InlineData("instances//terminate")]
    [InlineData("instances/abc/terminat")]
    public void Only_an_instances_operation_stays_readable_anything_else_is_hidden_whole(string resource)
    {
        var link = DurableUrlRewriter.Rewrite("https://myapp.azurewebsites.net/runtime/webhooks/durabletask/" + resource, RewriteScopes.For(), _links);

        var token = link![(RewriteScopes.MountAddress + "/_durable/").Length..];
        Assert.True(_links.TryUnprotect(token, TimeSpan.MaxValue, out var hidden));
        Assert.Equal(resource, hidden!.Resource);
    }

    [Fact]
    public void A_response_that_hands_out_a_link_is_never_stored_by_output_caching()
    {
        var scope = RewriteScopes.For();
        var outputCache = new OutputCache(new OutputCacheContext { HttpContext = scope.Caller.HttpContext, AllowCacheStorage = true });
        scope.Caller.HttpContext.Features.Set<IOutputCacheFeature>(outputCache);

        Assert.NotNull(DurableUrlRewriter.Rewrite(Management, scope, _links));
        Assert.False(outputCache.Context.AllowCacheStorage);
    }

    private sealed class OutputCache(OutputCacheContext context) : IOutputCacheFeature
    {
        public OutputCacheContext Context => context;
    }
}
