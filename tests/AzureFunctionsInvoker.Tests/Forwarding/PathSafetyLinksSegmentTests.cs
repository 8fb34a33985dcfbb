using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="PathSafety.MayNameFirstSegment"/>, the test the mount runs before judging the Durable links segment: it
/// must let through every path that is a link (<see cref="DurableLinkRequest.IsLink"/>) or another spelling of the links
/// segment (<see cref="PathSafety.NamesFirstSegment"/>), or such a path would reach the function with its key, and it
/// keeps every ordinary path out of both.
/// </summary>
public sealed class PathSafetyLinksSegmentTests
{
    [Theory]
    [InlineData("/_durable/token", "_durable")]
    [InlineData("/_DURABLE/token/terminate", "_durable")]
    [InlineData("/%5Fdurable/token", "_durable")]
    [InlineData("/_durabl%65/token", "_durable")]
    [InlineData("/%255Fdurable/token", "_durable")]
    [InlineData("//_durable/token", "_durable")]
    [InlineData("///_durable/token", "_durable")]
    [InlineData("/_durable;x/token", "_durable")]
    [InlineData("/_durable./token", "_durable")]
    [InlineData("/_durable%20/token", "_durable")]
    [InlineData("/_durable%2Ftoken", "_durable")]
    [InlineData("/%EF%BC%BFdurable/token", "_durable")]
    [InlineData("/_durable", "_durable")]
    [InlineData("/_durable\u200B/token", "_durable")]
    [InlineData("/\uFF3Fdurable/token", "_durable")]
    [InlineData("/links./token", "links.")]
    [InlineData("/a;b/token", "a;b")]
    public void Every_link_or_spelling_of_the_links_segment_is_judged(string rest, string linksPath)
    {
        Assert.True(DurableLinkRequest.IsLink(rest, linksPath) || PathSafety.NamesFirstSegment(rest, linksPath));
        Assert.True(PathSafety.MayNameFirstSegment(rest, linksPath));
    }

    [Theory]
    [InlineData("/orders/42")]
    [InlineData("/durable/y")]
    [InlineData("/x/_durable/y")]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/hello;x=1")]
    [InlineData("/orders/%5Fdurable")] // only the first segment is looked at: what follows it may hold anything
    [InlineData("/orders/caf\u00E9/_durable")]
    public void An_ordinary_path_is_judged_no_further(string rest)
    {
        Assert.False(PathSafety.MayNameFirstSegment(rest, "_durable"));
        Assert.False(DurableLinkRequest.IsLink(rest, "_durable") || PathSafety.NamesFirstSegment(rest, "_durable"));
    }

    [Fact]
    public void Without_a_links_path_nothing_is_judged() => Assert.False(PathSafety.MayNameFirstSegment("/_durable/token", string.Empty));
}
