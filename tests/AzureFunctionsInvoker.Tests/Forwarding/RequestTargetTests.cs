using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class RequestTargetTests
{
    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/a/b/c")]
    [InlineData("/a%20b")]
    [InlineData("/a%2Fb")]
    [InlineData("/...")]
    [InlineData("/.hidden/..x/x..")]
    [InlineData("/..;")]
    [InlineData("/%25")]
    [InlineData("/%2541")]
    [InlineData("/%C3%A9")]
    [InlineData("/a//b")]
    public void Keeps_paths_inside_the_route(string path) => Assert.True(RequestTarget.IsSafePath(path));

    [Theory]
    [InlineData("/..")]
    [InlineData("/.")]
    [InlineData("/a/../b")]
    [InlineData("/%2e%2e")]
    [InlineData("/%2E")]
    [InlineData("/.%2e")]
    [InlineData("/%252e%252e")]
    [InlineData("/%25252e%25252E")]
    [InlineData("/..%2F")]
    [InlineData("/a%2F..%2Fb")]
    [InlineData("/a%252F..")]
    [InlineData("/a\\b")]
    [InlineData("/a%5Cb")]
    [InlineData("/a%5cb")]
    [InlineData("/a%255cb")]
    [InlineData("/%C0%AE%C0%AE")]
    [InlineData("/%E0%80%AE")]
    [InlineData("/%FF")]
    [InlineData("/%00")]
    [InlineData("/a%0D%0Ab")]
    [InlineData("/%7F")]
    [InlineData("/%2525252525252525252e")]
    public void Refuses_paths_that_could_leave_the_route(string path) => Assert.False(RequestTarget.IsSafePath(path));

    [Theory]
    [InlineData("/mytest", "/mytest/a%20b?x=1", "/a%20b", "?x=1")]
    [InlineData("/mytest", "/MYTEST/a", "/a", "")]
    [InlineData("/mytest", "/mytest", "", "")]
    [InlineData("/mytest", "/mytest/", "/", "")]
    [InlineData("/mytest", "/mytest?", "", "?")]
    [InlineData("/vdir/mytest", "/vdir/mytest/a/b", "/a/b", "")]
    [InlineData("/my test", "/my%20test/a", "/a", "")]
    [InlineData("/mytest", "http://evil.example:81/mytest/a?q", "/a", "?q")]
    public void Takes_the_raw_path_below_the_mount_point_and_the_raw_query(string pathBase, string rawTarget, string expectedRest, string expectedQuery)
    {
        var context = ContextWith(pathBase, rawTarget);

        Assert.True(RequestTarget.TryGetRestAndQuery(context, out var rest, out var query));
        Assert.Equal(expectedRest, rest);
        Assert.Equal(expectedQuery, query);
    }

    [Fact]
    public void Refuses_a_raw_target_with_dot_segments_anywhere()
    {
        var context = ContextWith("/mytest", "/other/../mytest/a");

        Assert.False(RequestTarget.TryGetRestAndQuery(context, out _, out _));
    }

    [Fact]
    public void Falls_back_to_the_decoded_path_when_the_server_keeps_no_raw_target()
    {
        var context = new DefaultHttpContext();
        context.Request.PathBase = "/mytest";
        context.Request.Path = "/a b";
        context.Request.QueryString = new QueryString("?x=1");

        Assert.True(RequestTarget.TryGetRestAndQuery(context, out var rest, out var query));
        Assert.Equal("/a%20b", rest);
        Assert.Equal("?x=1", query);
    }

    private static DefaultHttpContext ContextWith(string pathBase, string rawTarget)
    {
        var context = new DefaultHttpContext();
        context.Request.PathBase = pathBase;
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        return context;
    }
}
