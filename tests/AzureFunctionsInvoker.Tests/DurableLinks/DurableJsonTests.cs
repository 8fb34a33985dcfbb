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
        var splices = new List<DurableJsonSplice>();

        var result = DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices);

        Assert.Equal(DurableJsonResult.Rewritten, result);
        Assert.Equal(2, splices.Count);
        var rewritten = Splice(body, splices);
        Assert.DoesNotContain("SECRET", rewritten, StringComparison.Ordinal);
        Assert.Contains("\"other\":\"https://myapp.azurewebsites.net/api/x\"", rewritten, StringComparison.Ordinal);
        Assert.Contains($"\"statusQueryGetUri\":\"{RewriteScopes.MountAddress}/_durable/", rewritten, StringComparison.Ordinal);
        Assert.Contains("/terminate\"", rewritten, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":"https://myapp.azurewebsites.net/api/x"}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""not json at all""")]
    public void A_body_without_management_urls_is_unchanged(string json)
    {
        var splices = new List<DurableJsonSplice>();

        Assert.Equal(DurableJsonResult.Unchanged, DurableJson.Rewrite(Encoding.UTF8.GetBytes(json), RewriteScopes.For(), _links, splices));
        Assert.Empty(splices);
    }

    [Fact]
    public void A_body_that_is_not_json_yet_names_a_management_url_cannot_pass()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{Management}}", oops""");

        Assert.Equal(DurableJsonResult.Unreadable, DurableJson.Rewrite(body, RewriteScopes.For(), _links, []));
    }

    [Fact]
    public void An_escaped_management_url_is_found_too()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"u":"{{Management.Replace("/", "\\/", StringComparison.Ordinal)}}"}""");
        var splices = new List<DurableJsonSplice>();

        Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices));
        Assert.DoesNotContain("SECRET", Splice(body, splices), StringComparison.Ordinal);
    }

    private static string Splice(byte[] body, List<DurableJsonSplice> splices)
    {
        var output = new List<byte>();
        var copied = 0;
        foreach (var splice in splices)
        {
            output.AddRange(body[copied..splice.Start]);
            output.AddRange(splice.Replacement);
            copied = splice.End;
        }

        output.AddRange(body[copied..]);
        return Encoding.UTF8.GetString([.. output]);
    }
}
