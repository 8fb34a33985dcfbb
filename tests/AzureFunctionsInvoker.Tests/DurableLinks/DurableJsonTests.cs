using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class DurableJsonTests
{
    private const string Management = "https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET";
    private readonly DurableLinkProtector _links = RewriteScopes.Links();

    [Fact]
    public void Each_management_url_of_a_body_gets_a_splice_with_its_link_in_place()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"id":"abc","statusQueryGetUri":"{{Management}}","other":"https://myapp.azurewebsites.net/api/x","terminatePostUri":"{{Management.Replace("abc?", "abc/terminate?", StringComparison.Ordinal)}}"}""");
        using var splices = new DurableJsonSplices();

        var result = DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices);

        Assert.Equal(DurableJsonResult.Rewritten, result);
        Assert.Collection(
            splices.Splices.ToArray(),
            status =>
            {
                Assert.Equal($"\"{Management}\"", Replaced(body, status));
                Assert.StartsWith($"\"{RewriteScopes.MountAddress}/_durable/", Encoding.UTF8.GetString(splices.Replacement(status)), StringComparison.Ordinal);
            },
            terminate => Assert.EndsWith("/terminate\"", Encoding.UTF8.GetString(splices.Replacement(terminate)), StringComparison.Ordinal));
        Assert.All(splices.Splices.ToArray(), splice => Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(splices.Replacement(splice)), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(300, 30, true)] // the most URLs
    [InlineData(301, 30, false)]
    [InlineData(300, 33, true)] // the most links sealed, each instance's token found again
    [InlineData(300, 34, false)]
    [InlineData(34, 34, false)]
    public void The_budget_holds_urls_and_links_sealed_to_their_boundaries(int urls, int instances, bool rewritten)
    {
        // The instances taken in turn, so no URL's token is the one made just before it.
        var body = "[" + string.Join(',', Enumerable.Range(0, urls).Select(i =>
            $"\"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/{i % instances:D32}?taskHub=Hub&connection=Storage&code=SECRET\"")) + "]";
        using var splices = new DurableJsonSplices();

        Assert.Equal(rewritten ? DurableJsonResult.Rewritten : DurableJsonResult.OverBudget, DurableJson.Rewrite(Encoding.UTF8.GetBytes(body), RewriteScopes.For(), RewriteScopes.Links(), splices));
    }

    [Fact]
    public void A_body_its_links_grow_to_exactly_three_times_its_size_and_4_KiB_is_rewritten_and_one_byte_smaller_is_not()
    {
        // Short URLs grow most: find a count whose growth lands the rewritten body exactly on the limit once padded.
        var links = RewriteScopes.Links();
        for (var urls = 40; urls < 80; urls++)
        {
            var growth = Growth(Body(urls, 8000), links);
            var size = (growth - DurableJson.GrowthAllowance) / 2;
            if ((growth - DurableJson.GrowthAllowance) % 2 != 0 || size < Body(urls, 0).Length)
            {
                continue;
            }

            var exact = Body(urls, size - Body(urls, 0).Length);
            Assert.Equal(size, exact.Length);
            using var atLimit = new DurableJsonSplices();
            Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(exact, RewriteScopes.For(), links, atLimit));
            using var over = new DurableJsonSplices();
            Assert.Equal(DurableJsonResult.OverBudget, DurableJson.Rewrite(Body(urls, size - 1 - Body(urls, 0).Length), RewriteScopes.For(), links, over));
            return;
        }

        Assert.Fail("No count of URLs lands on the limit.");

        static byte[] Body(int urls, int padding) => Encoding.UTF8.GetBytes("[\"" + new string('x', padding) + "\"," + string.Join(',', Enumerable.Range(0, urls).Select(i =>
            $"\"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/{i % 20}\"")) + "]");

        static int Growth(byte[] body, DurableLinkProtector links)
        {
            using var splices = new DurableJsonSplices();
            Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(), links, splices));
            var growth = 0;
            foreach (var splice in splices.Splices)
            {
                growth += splice.LinkLength - (splice.End - splice.Start);
            }

            return growth;
        }
    }

    [Theory]
    [InlineData("""{"a":"https://myapp.azurewebsites.net/api/x"}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""not json at all""")]
    [InlineData("""{"text":"durabletask"}""")] // the word alone, read in full: no URL
    [InlineData("""not json, caf\u00e9 \u00e9""")] // escapes, unreadable, and no spelling of the word
    [InlineData("not json, café")]
    public void A_body_without_management_urls_is_unchanged(string json)
    {
        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Unchanged, DurableJson.Rewrite(Encoding.UTF8.GetBytes(json), RewriteScopes.For(), _links, splices));
        Assert.Equal(0, splices.Count);
    }

    [Fact]
    public void A_body_that_is_not_json_yet_names_a_management_url_cannot_pass()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{Management}}", oops""");

        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Unreadable, DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices));
    }

    [Theory]
    [InlineData("""{"u":"https://myapp.azurewebsites.net/runtime/webhooks/durable\u0074ask/instances/abc?code=SECRET"}""")] // ASCII, an escaped letter
    [InlineData("""{"note":"add","u":"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET"}""")] // "dd" before it
    [InlineData("""{"a":"\u0041","u":"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET&pad=\u0041PADDING"}""")]
    public void A_management_url_is_rewritten_whatever_comes_before_it_and_however_it_is_escaped(string json)
    {
        // The last: a short escaped string, then an escaped one longer than the buffer it was unescaped into.
        json = json.Replace("PADDING", new string('p', 400), StringComparison.Ordinal);
        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(Encoding.UTF8.GetBytes(json), RewriteScopes.For(), _links, splices));
        Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(splices.Replacement(Assert.Single(splices.Splices.ToArray()))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json /runtime/webhooks/durabletask")] // the word at the very end
    [InlineData("""{"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET":1}""")] // a property name, not a value
    public void A_management_url_the_rewriter_does_not_take_is_left_for_the_guard_or_refused(string json)
    {
        using var splices = new DurableJsonSplices();

        var result = DurableJson.Rewrite(Encoding.UTF8.GetBytes(json), RewriteScopes.For(), _links, splices);

        // Not JSON: refused. A property name: no splice (what is left names the path, which RewrittenJsonCopier refuses).
        Assert.Equal(json.StartsWith('{') ? DurableJsonResult.Unchanged : DurableJsonResult.Unreadable, result);
        Assert.Equal(0, splices.Count);
    }

    [Fact]
    public void A_body_with_a_byte_that_is_not_utf8_beside_a_management_url_cannot_pass()
    {
        // The reader takes the byte inside a string; the body is refused as a whole rather than rewritten around it.
        var body = Encoding.UTF8.GetBytes($$"""{"u":"{{Management}}","x":"?"}""");
        body[^3] = 0xFF;
        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Unreadable, DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices));
    }

    [Fact]
    public void An_escaped_management_url_is_found_too()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"u":"{{Management.Replace("/", "\\/", StringComparison.Ordinal)}}"}""");
        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices));
        Assert.Contains("SECRET", Replaced(body, Assert.Single(splices.Splices.ToArray())), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(splices.Replacement(splices.Splices[0])), StringComparison.Ordinal);
    }

    [Fact]
    public void The_urls_of_one_instance_share_a_token_and_each_link_reads_back_as_its_own()
    {
        var other = Management.Replace("/abc?", "/def?", StringComparison.Ordinal);
        var raise = Management.Replace("abc?", "abc/raiseEvent/Approval?", StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes($$"""[{"a":"{{Management}}","b":"{{raise}}"},{"a":"{{other}}"}]""");
        using var splices = new DurableJsonSplices();

        Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices));

        var tokens = splices.Splices.ToArray().Select(splice => Encoding.UTF8.GetString(splices.Replacement(splice)).Trim('"').Split('/')[6]).ToArray();
        Assert.Equal(3, tokens.Length);
        Assert.Equal(tokens[0], tokens[1]);
        Assert.NotEqual(tokens[0], tokens[2]);
        Assert.EndsWith("/raiseEvent/Approval\"", Encoding.UTF8.GetString(splices.Replacement(splices.Splices[1])), StringComparison.Ordinal);
        Assert.True(_links.TryUnprotect(tokens[0], TimeSpan.MaxValue, out var first));
        Assert.True(_links.TryUnprotect(tokens[2], TimeSpan.MaxValue, out var second));
        Assert.Equal(("instances/abc", "code=SECRET"), (first!.Resource, first.HiddenQuery));
        Assert.Equal(("instances/def", "code=SECRET"), (second!.Resource, second.HiddenQuery));
    }

    // The bytes of the body a splice replaces.
    private static string Replaced(byte[] body, DurableJsonSplice splice) => Encoding.UTF8.GetString(body[splice.Start..splice.End]);
}
