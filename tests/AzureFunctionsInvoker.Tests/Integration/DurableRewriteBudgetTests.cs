using System.Net;
using System.Text;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// JSON rewriting is no amplifier: a body holding more management URLs than a page of instances (300), or whose links
/// would make it more than three times its size (plus 4 KiB), is refused with a 502 before anything is sent, and the
/// refusal is logged once, naming the reason.
/// </summary>
public sealed class DurableRewriteBudgetTests
{
    [Theory]
    [InlineData(300, "long", HttpStatusCode.OK)] // a page: every URL rewritten
    [InlineData(301, "long", HttpStatusCode.BadGateway)] // one over the count
    [InlineData(200, "short", HttpStatusCode.BadGateway)] // within the count, but the links outgrow the body
    [InlineData(20, "short", HttpStatusCode.OK)] // a few short URLs in a tiny body fit the allowance
    public async Task A_body_over_the_rewriting_budget_is_refused_before_anything_is_sent(int urls, string shape, HttpStatusCode expected)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var items = Enumerable.Range(0, urls).Select(i => shape == "long"
            ? $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{i:D32}?taskHub=Hub&connection=Storage&code=SYSTEMKEY\""
            : $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{i}\"");
        var body = Encoding.UTF8.GetBytes("[" + string.Join(',', items) + "]");
        env.Function.Answer = FramedAnswer.Of(body);

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain("/runtime/webhooks/", received, StringComparison.Ordinal);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(urls, received.Split("/mytest/_durable/").Length - 1);
            Assert.True(received.Length <= (3 * body.Length) + 4096);
        }
        else
        {
            var refused = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "ResponseBodyFailed");
            Assert.Contains("more than 300 Durable Task URLs", refused.Text, StringComparison.Ordinal);
        }
    }
}
