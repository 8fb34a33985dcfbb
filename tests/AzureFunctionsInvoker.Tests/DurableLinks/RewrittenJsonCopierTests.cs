using System.Text;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class RewrittenJsonCopierTests
{
    private const string Management = "https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/abc?code=SECRET";

    [Theory]
    [InlineData("GET", 200, "application/json; charset=utf-8", 100L, null, false, true)]
    [InlineData("GET", 200, "text/plain", 100L, null, false, false)]
    [InlineData("GET", 200, "text/plain", null, null, true, true)]
    [InlineData("HEAD", 200, "application/json", 100L, null, false, false)]
    [InlineData("GET", 404, "application/json", 100L, null, false, false)]
    [InlineData("GET", 200, "application/json", 70_000L, null, false, false)]
    [InlineData("GET", 200, "application/json", 100L, "gzip", false, false)]
    [InlineData("GET", 200, "application/json", 0L, null, true, false)]
    public void Applies_to_a_small_plain_json_answer_or_to_one_of_durables_own(string method, int status, string type, long? length, string? encoding, bool durableLocation, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        context.Response.ContentLength = length;
        if (encoding is not null)
        {
            context.Response.Headers.ContentEncoding = encoding;
        }

        Assert.Equal(expected, RewrittenJsonCopier.Applies(context, new AzureFunctionProxyOptions(), durableLocation));
    }

    [Fact]
    public async Task Writes_the_body_with_its_links_and_its_new_length()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{Management}}"}""");
        var scope = RewriteScopes.For();
        var response = scope.Caller.HttpContext.Response;
        var written = new MemoryStream();
        response.Body = written;
        response.ContentLength = body.Length;
        using var timeout = new StepTimeout(TimeSpan.FromSeconds(30), new FakeTimeProvider(), CancellationToken.None);

        var (result, copied, _) = await RewrittenJsonCopier.CopyToCallerAsync(new MemoryStream(body), scope, RewriteScopes.Links(), timeout, CancellationToken.None);

        var text = Encoding.UTF8.GetString(written.ToArray());
        Assert.Equal(StreamCopyResult.Success, result);
        Assert.Equal(written.Length, copied);
        Assert.Equal(copied, response.ContentLength);
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.StartsWith($$"""{"statusQueryGetUri":"{{RewriteScopes.MountAddress}}/_durable/""", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_durable_body_over_64_KiB_fails_rather_than_pass_its_key()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{Management}}","pad":"{{new string('x', DurableJson.MaxBodySize)}}"}""");
        var scope = RewriteScopes.For();
        var written = new MemoryStream();
        scope.Caller.HttpContext.Response.Body = written;
        using var timeout = new StepTimeout(TimeSpan.FromSeconds(30), new FakeTimeProvider(), CancellationToken.None);

        var (result, _, error) = await RewrittenJsonCopier.CopyToCallerAsync(new MemoryStream(body), scope, RewriteScopes.Links(), timeout, CancellationToken.None);

        Assert.Equal(StreamCopyResult.SourceFailed, result);
        Assert.IsType<IOException>(error);
        Assert.Equal(0, written.Length);
    }
}
