using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class RequestTargetTests
{
    [Theory]
    [InlineData("/mytest", "/a b", "/mytest/a%20b?x=1", "/a%20b")]
    [InlineData("/MYTEST", "/a", "/MYTEST/a", "/a")]
    [InlineData("/mytest", "", "/mytest", "")]
    [InlineData("/mytest", "/", "/mytest/", "/")]
    [InlineData("/mytest", "/a%2Fb/\u00e9", "/mytest/a%2Fb/%c3%a9", "/a%2Fb/%c3%a9")]
    [InlineData("/vdir/mytest", "/a/b", "/vdir/mytest/a/b", "/a/b")]
    [InlineData("/my test", "/a", "/my%20test/a", "/a")]
    [InlineData("/mytest", "/a", "http://evil.example:81/mytest/a?q", "/a")]
    [InlineData("/mytest", "/a/b", "http://evil.example/mytest/a%2Fb", "/a%2Fb")]
    [InlineData("/forwarded-prefix", "/A", "/%41", "/%41")]
    public void Takes_the_path_below_the_mount_point_as_the_caller_encoded_it(string pathBase, string path, string rawTarget, string expectedRest)
        => AssertRest(pathBase, path, rawTarget, expectedRest);

    [Theory]
    [InlineData("/mytest", "/x/y", "/old/deeper/x/y", "/x/y")]
    [InlineData("/gateway/prefix/mytest", "/a/b/c", "/mytest/a/b/c", "/a/b/c")]
    [InlineData("/mytest", "/a b", "", "/a%20b")]
    [InlineData("/mytest", "/A", "?next=http://h/mytest/%41", "/A")] // a query alone: the URL in it is no target
    public void Forwards_the_current_path_when_middleware_rewrote_it_or_no_raw_target_is_kept(string pathBase, string path, string rawTarget, string expectedRest)
        => AssertRest(pathBase, path, rawTarget, expectedRest);

    [Fact]
    public void Refuses_a_rewritten_path_that_would_leave_the_route()
    {
        var context = ContextWith("/mytest", "/%2e%2e/admin", "/rewritten");

        Assert.False(TryGetRestAndQuery(context, PathString.Empty, 0, out _, out _));
    }

    [Fact]
    public void Refuses_a_raw_target_with_dot_segments_anywhere()
    {
        var context = ContextWith("/mytest", "/a", "/other/../mytest/a");

        Assert.False(TryGetRestAndQuery(context, PathString.Empty, 0, out _, out _));
    }

    [Theory]
    [InlineData("?b=2&a=1&a=3&flag&e=%zz")]
    [InlineData("?")]
    [InlineData("")]
    public void Forwards_the_query_as_the_server_kept_it(string queryString)
    {
        var context = ContextWith("/mytest", "/a", "/mytest/a" + queryString);
        context.Request.QueryString = new QueryString(queryString.Length == 0 ? null : queryString);

        Assert.True(TryGetRestAndQuery(context, PathString.Empty, 0, out _, out var query));
        Assert.Equal(queryString, query);
    }

    [Theory]
    [InlineData("", "/shop", "/shop/orders/42", "/shop/orders/42?x=1", "orders", "/42")]
    [InlineData("", "/shop", "/shop/ORDERS", "/shop/ORDERS", "ORDERS", "")]
    [InlineData("", "/shop", "/shop/orders/", "/shop/orders/", "orders", "/")]
    [InlineData("", "/shop", "/shop/orders/a b", "/shop/%6Frders/a%20b", "%6Frders", "/a%20b")]
    [InlineData("", "/shop", "/shop/orders%2F../x", "/shop/orders%2F../x", "orders%2F..", "/x")]
    [InlineData("", "/v1/shop", "/v1/shop/orders/a%2Fb", "/v1/shop/orders/a%2Fb", "orders", "/a%2Fb")]
    [InlineData("/base", "/v1/shop", "/v1/shop/invoices/7", "/base/v1/shop/invoices/7", "invoices", "/7")]
    [InlineData("", "/shop", "/shop", "/shop", "", "")]
    [InlineData("", "", "/orders/1", "/orders/1", "orders", "/1")]
    [InlineData("/base", "/shop", "/shop/orders/1", "/BASE/shop/%6Frders/1", "%6Frders", "/1")]
    [InlineData("/base", "/shop", "/shop/orders/a%2Fb", "/Base/shop/orders/a%2Fb", "orders", "/a%2Fb")]
    public void An_app_mount_takes_the_function_segment_as_the_caller_encoded_it_and_forwards_what_follows(
        string pathBase, string prefix, string path, string rawTarget, string expectedFunction, string expectedRest)
    {
        var context = ContextWith(pathBase, path, rawTarget);

        var function = RequestTarget.Parse(context, new PathString(prefix)).FirstSegment.ToString();
        var safe = TryGetRestAndQuery(context, new PathString(prefix), 1, out var rest, out _);

        Assert.Equal(expectedFunction, function);
        Assert.Equal(expectedFunction != "orders%2F..", safe);
        if (safe)
        {
            Assert.Equal(expectedRest, rest.ToString());
        }
    }

    [Theory]
    [InlineData("", "/shop/orders/a/b", "http://h/shop/orders/a%2Fb", "orders", "/a%2Fb")]
    [InlineData("", "/shop/orders/a/b", "http://h/shop/%6Frders%2Fa/b", "%6Frders%2Fa", null)]
    [InlineData("", "/shop/x/orders/1", "http://h/shop%2Fx/orders/1", "", "/orders/1")]
    [InlineData("/base", "/shop/orders/1", "http://h/base%2Fshop/orders/1", "orders", "/1")]
    [InlineData("/forged", "/shop/orders/1", "/shop/%6Frders/1", "%6Frders", "/1")]
    public void The_function_segment_is_the_callers_where_the_server_decoded_a_slash_or_the_path_base_is_not_in_the_path(
        string pathBase, string path, string rawTarget, string expectedFunction, string? expectedRest)
    {
        // Kestrel reads an absolute-form target's path as a Uri's LocalPath, %2F decoded; a trusted X-Forwarded-Prefix
        // sets a path base the path does not hold. The segment routing matched is still read as the caller sent it.
        var context = ContextWith(pathBase, path, rawTarget);

        var function = RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString();
        var safe = TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _);

        Assert.Equal(expectedFunction, function);
        Assert.Equal(expectedRest is not null, safe);
        if (safe)
        {
            Assert.Equal(expectedRest, rest.ToString());
        }
    }

    [Fact]
    public void A_rewritten_path_gives_the_function_segment_of_the_current_path()
    {
        var context = ContextWith(string.Empty, "/shop/orders/1", "/legacy/orders-v1/1");

        Assert.Equal("orders", RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString());
        Assert.True(TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _));
        Assert.Equal("/1", rest.ToString());
    }

    [Theory]
    [InlineData("/mytest", "/A", "http://host/mytest/%41?x=1", "/%41")]
    [InlineData("/mytest", "/A", "/mytest/%41?x=1", "/%41")]
    [InlineData("/mytest", "/A", "http://../mytest/%41", "/%41")]
    [InlineData("", "/", "http://host", "/")]
    [InlineData("", "/", "http://host?x", "/")]
    [InlineData("/mytest", "/a/b/c", "/r", "/a/b/c")]
    [InlineData("/mytest", "/A", "*", "/A")]
    [InlineData("", "/", "http://..", "/")]
    [InlineData("/mytest", "/A", "http:///mytest/%41", "/%41")]
    public void Reads_an_absolute_form_target_by_its_path_alone(string pathBase, string path, string rawTarget, string expectedRest)
        => AssertRest(pathBase, path, rawTarget, expectedRest);

    [Theory]
    [InlineData("/mytest/a", "?a b")]
    [InlineData("/mytest/a b", "?x")]
    public void Refuses_a_query_or_a_raw_path_a_request_line_cannot_carry(string rawTarget, string queryString)
    {
        var context = ContextWith("/mytest", "/a", rawTarget);
        context.Request.QueryString = new QueryString(queryString);

        Assert.False(TryGetRestAndQuery(context, PathString.Empty, 0, out _, out _));
    }

    [Fact]
    public void Refuses_a_path_rewritten_to_dot_segments()
    {
        var context = ContextWith("/mytest", "/../admin", "/mytest/a");

        Assert.False(TryGetRestAndQuery(context, PathString.Empty, 0, out _, out _));
    }

    [Theory]
    [InlineData("/shop/%6Frders%2Fx/1", "/shop/orders%2Fx/1", "%6Frders%2Fx")]
    [InlineData("/shop/%6Frders%2fx/1", "/shop/orders%2fx/1", "%6Frders%2fx")]
    public void A_slash_the_server_kept_encoded_stays_inside_its_segment(string rawTarget, string path, string expectedFunction)
    {
        var context = ContextWith(string.Empty, path, rawTarget);

        Assert.Equal(expectedFunction, RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString());
        Assert.True(TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _));
        Assert.Equal("/1", rest);
    }

    [Fact]
    public void A_rewritten_path_keeps_an_encoded_slash_inside_its_segment()
    {
        var context = ContextWith(string.Empty, "/shop/orders%2Fx/1", "/legacy/1");

        Assert.Equal("orders%2Fx", RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString());
        Assert.True(TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _));
        Assert.Equal("/1", rest);
    }

    [Fact]
    public void A_rewritten_path_ends_the_prefixs_segments_at_slashes_only()
    {
        // The current path is forwarded encoded: a %2F in it is a character of its segment, in the prefix too.
        var context = ContextWith(string.Empty, "/v%2F1/orders/1", "/legacy/1");

        var target = RequestTarget.Parse(context, new PathString("/v%2F1"));

        Assert.Equal("orders", target.FirstSegment.ToString());
        Assert.Equal("/1", target.BelowFirstSegment().Rest.ToString());
        Assert.True(target.BelowFirstSegment().IsSafe);
    }

    [Theory]
    [InlineData("http://h/shop/a%2Fb", "/shop/a/b", "a%2Fb", "%2Fb")]
    [InlineData("http://h/shop/a%2F/b", "/shop/a//b", "a%2F", "%2F/b")]
    [InlineData("http://h/shop/%2Fa/b", "/shop//a/b", "%2Fa", "%2Fa/b")]
    public void Below_a_segment_the_server_decoded_a_slash_in_the_rest_starts_inside_it_and_is_refused(string rawTarget, string path, string expectedFunction, string expectedRest)
    {
        var context = ContextWith(string.Empty, path, rawTarget);

        Assert.Equal(expectedFunction, RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString());
        Assert.False(TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _));
        Assert.Equal(expectedRest, rest);
    }

    [Fact]
    public void Below_an_empty_segment_the_rest_starts_at_the_next_slash_where_the_server_decoded_a_slash()
    {
        var context = ContextWith(string.Empty, "/shop//a/b", "http://h/shop//a%2Fb");

        Assert.Equal(string.Empty, RequestTarget.Parse(context, new PathString("/shop")).FirstSegment.ToString());
        TryGetRestAndQuery(context, new PathString("/shop"), 1, out var rest, out _);
        Assert.Equal("/a%2Fb", rest);
    }

    [Theory]
    [InlineData("/a", "a", "")]
    [InlineData("/", "", "")]
    [InlineData("//x", "", "/x")]
    [InlineData("/orders%2Fx/1", "orders%2Fx", "/1")]
    [InlineData("", "", "")]
    public void A_target_this_app_made_splits_at_slashes_only(string rest, string expectedFirst, string expectedBelow)
    {
        var target = RequestTarget.Of(rest, "?q=1");

        Assert.Equal(expectedFirst, target.FirstSegment.ToString());
        Assert.Equal(expectedBelow, target.BelowFirstSegment().Rest.ToString());
        Assert.Equal("?q=1", target.Query);
    }

    [Theory]
    [InlineData("/a", "?q", true)]
    [InlineData("/a b", "", false)]
    [InlineData("/a", "?a b", false)]
    public void A_target_this_app_made_is_safe_when_a_request_line_can_carry_it(string rest, string query, bool expected)
        => Assert.Equal(expected, RequestTarget.Of(rest, query).IsSafe);

    [Fact]
    public void Appending_nothing_gives_the_function_address_as_it_was_given()
    {
        var function = new Uri("https://app.azurewebsites.net/api/a%41b");

        Assert.Equal(function.ToString(), RequestTarget.Append(function, string.Empty, string.Empty).ToString());
        Assert.Equal("https://app.azurewebsites.net/api/a%41b/x%41?y", RequestTarget.Append(function, "/x%41", "?y").OriginalString);
    }

    private static void AssertRest(string pathBase, string path, string rawTarget, string expectedRest)
    {
        Assert.True(TryGetRestAndQuery(ContextWith(pathBase, path, rawTarget), PathString.Empty, 0, out var rest, out _));
        Assert.Equal(expectedRest, rest.ToString());
    }

    // What the middleware reads of one parse: the rest below the prefix and segmentsBelowPrefix (0 or 1) more segments,
    // and the query; whether the target is safe.
    private static bool TryGetRestAndQuery(HttpContext context, PathString prefix, int segmentsBelowPrefix, out string rest, out string query)
    {
        var target = RequestTarget.Parse(context, prefix);
        if (segmentsBelowPrefix == 1)
        {
            target = target.BelowFirstSegment();
        }

        rest = target.Rest.ToString();
        query = target.Query;
        return target.IsSafe;
    }

    private static DefaultHttpContext ContextWith(string pathBase, string path, string rawTarget)
    {
        var context = new DefaultHttpContext();
        context.Request.PathBase = pathBase;
        context.Request.Path = path;
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        return context;
    }
}
