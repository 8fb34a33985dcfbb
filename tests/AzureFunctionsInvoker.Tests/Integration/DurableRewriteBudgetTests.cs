using System.Net;
using System.Text;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// JSON rewriting is no amplifier: a body holding more management URLs than a page of instances (300), links of more
/// instances than such a page (33, each a token to seal), or whose links would make it more than three times its size
/// (plus 4 KiB), is refused with a 502 before anything is sent, and the refusal is logged once, naming the reason.
/// </summary>
public sealed class DurableRewriteBudgetTests
{
    [Theory]
    [InlineData(300, 30, "long", HttpStatusCode.OK)] // a page: every URL rewritten
    [InlineData(301, 30, "long", HttpStatusCode.BadGateway)] // one over the count
    [InlineData(300, 33, "long", HttpStatusCode.OK)] // as many instances as a page, taken in turn: 33 tokens sealed
    [InlineData(300, 34, "long", HttpStatusCode.BadGateway)] // one instance more: a 34th token to seal
    [InlineData(34, 34, "long", HttpStatusCode.BadGateway)] // few URLs, but each of its own instance
    [InlineData(33, 33, "long", HttpStatusCode.OK)]
    [InlineData(200, 20, "short", HttpStatusCode.BadGateway)] // within the counts, but the links outgrow the body
    [InlineData(20, 20, "short", HttpStatusCode.OK)] // a few short URLs in a tiny body fit the allowance
    public async Task A_body_over_the_rewriting_budget_is_refused_before_anything_is_sent(int urls, int instances, string shape, HttpStatusCode expected)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();

        // The instances taken in turn, as a reflecting function could list them: no URL's token is the one just made.
        var items = Enumerable.Range(0, urls).Select(i => shape == "long"
            ? $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{i % instances:D32}?taskHub=Hub&connection=Storage&code=SYSTEMKEY\""
            : $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{i % instances}\"");
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
            Assert.Contains("more than 300 Durable Task URLs or 33 instances'", refused.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(33, HttpStatusCode.OK)]
    [InlineData(34, HttpStatusCode.BadGateway)]
    public async Task A_page_of_instances_is_rewritten_whichever_way_its_urls_are_grouped_and_one_more_instance_is_refused(int instances, HttpStatusCode expected)
    {
        // The same page written two ways: each instance's URLs together, as CreateHttpManagementPayload writes them, and
        // one list per kind of URL. Either way an instance's token is sealed once, so both are within the budget.
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        string[] kinds = ["", "/terminate?reason={text}&", "/suspend?reason={text}&", "/resume?reason={text}&", "/restart?"];
        string Url(int instance, string kind) =>
            $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{instance:D32}{(kind.Length == 0 ? "?" : kind)}taskHub=Hub&code=SYSTEMKEY\"";
        var byInstance = "[" + string.Join(',', Enumerable.Range(0, instances).Select(i => "[" + string.Join(',', kinds.Select(k => Url(i, k))) + "]")) + "]";
        var byKind = "[" + string.Join(',', kinds.Select(k => "[" + string.Join(',', Enumerable.Range(0, instances).Select(i => Url(i, k))) + "]")) + "]";

        foreach (var body in new[] { byInstance, byKind })
        {
            env.Function.Answer = FramedAnswer.Of(Encoding.UTF8.GetBytes(body));
            using var response = await env.Caller.GetAsync("/mytest");
            var received = await response.Content.ReadAsStringAsync();

            Assert.Equal(expected, response.StatusCode);
            Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
            if (expected == HttpStatusCode.OK)
            {
                Assert.Equal(kinds.Length * instances, received.Split("/mytest/_durable/").Length - 1);
            }
        }
    }

    [Theory]
    [InlineData(33, HttpStatusCode.OK)]
    [InlineData(34, HttpStatusCode.BadGateway)]
    public async Task One_instance_whose_urls_differ_in_what_the_token_hides_seals_a_token_for_each(int keys, HttpStatusCode expected)
    {
        // What a token hides is part of what it seals: one instance under as many task hubs (or keys) as a reflecting
        // function is made to list is as many links to seal as that many instances, and is held to the same budget.
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = "[" + string.Join(',', Enumerable.Range(0, 100).Select(i =>
            $"\"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{0:D32}?taskHub=Hub{i % keys}&connection=Storage&code=SYSTEMKEY\"")) + "]";
        env.Function.Answer = FramedAnswer.Of(Encoding.UTF8.GetBytes(body));

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
    }
}
