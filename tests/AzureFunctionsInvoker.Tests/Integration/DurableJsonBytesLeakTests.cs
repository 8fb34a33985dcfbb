using System.Net;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// The byte-level rewriting of Durable JSON bodies (merge bd7ef61) over real sockets, from the attacker's side: every
/// spelling of a management URL on the function's origin is rewritten, any other spelling that names the webhook path is
/// refused with 502, and many responses rewritten at once, some failing half-way, each hand out links that reach their
/// own instance only.
/// </summary>
public sealed class DurableJsonBytesLeakTests
{
    private const string Instance = "/runtime/webhooks/durabletask/instances/abc";

    [Theory]
    [InlineData("""HTTP://{host}{path}?code={key}""")]
    [InlineData("""hTtP://{host}{path}?code={key}""")]
    [InlineData("""\u0068ttp://{host}{path}?code={key}""")]
    [InlineData("""\u0048\u0054\u0054\u0050://{host}{path}?code={key}""")]
    [InlineData("""http:\/\/{host}{path}?code={key}""")]
    [InlineData("""http:\u002F\u002F{host}{path}?code={key}""")]
    [InlineData("""http://{host}\u002Fruntime\u002Fwebhooks\u002Fdurable\u0074ask\u002Finstances\u002Fabc?code={key}""")]
    [InlineData("""http://{host}{path}?taskHub=Hub\u0026code={key}""")]
    public async Task Every_spelling_of_the_origins_scheme_is_rewritten_and_keeps_no_key(string url)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = FramedAnswer.Of(Body(env, url));

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(env.Function.SystemKey, received, StringComparison.Ordinal);
        var link = JsonDocument.Parse(received).RootElement.GetProperty("statusQueryGetUri").GetString()!;
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", link, StringComparison.Ordinal);

        // The link reaches the instance it was made for, with the hidden key, and the answer holds no key either.
        using var followed = await env.Caller.GetAsync(link);
        Assert.DoesNotContain(env.Function.SystemKey, await followed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal($"{Instance}?", env.Function.ReceivedTargets.Last()[..(Instance.Length + 1)]);
        Assert.EndsWith($"code={env.Function.SystemKey}", env.Function.ReceivedTargets.Last(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""httpſ://{host}{path}?code={key}""")]
    [InlineData("""https://{host}{path}?code={key}""")]
    [InlineData("""http://{host}:1{path}?code={key}""")]
    [InlineData(""" http://{host}{path}?code={key}""")]
    [InlineData("""http//{host}{path}?code={key}""")]
    [InlineData("""x http://{host}{path}?code={key}""")]
    public async Task A_spelling_the_rewriter_leaves_alone_is_refused_before_anything_is_sent(string url)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = FramedAnswer.Of(Body(env, url));

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain(env.Function.SystemKey, received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Responses_rewritten_at_once_some_failing_half_way_each_link_to_their_own_instance()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = context =>
        {
            var id = context.Request.Query["id"].ToString();
            var url = $"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{id}";
            var hidden = $"?taskHub=Hub{id}&code={env.Function.SystemKey}";
            // Every third body breaks after its links: the rewriter has written them into its buffers, then fails.
            var body = id.EndsWith('0') || id.EndsWith('3') || id.EndsWith('6')
                ? $$"""{"a":"{{url}}{{hidden}}","b":"{{url}}/terminate{{hidden}}",1,,"""
                : $$"""{"id":"{{id}}","statusQueryGetUri":"{{url}}{{hidden}}","terminatePostUri":"{{url}}/terminate?reason=\u003cb\u003e\u0026{{hidden[1..]}}","sendEventPostUri":"{{url}}/raiseEvent/Approval{{hidden}}"}""";
            return FramedAnswer.Of(Encoding.UTF8.GetBytes(body))(context);
        };

        var ids = Enumerable.Range(0, 40).Select(i => $"i{i}").ToArray();
        var answers = await Task.WhenAll(ids.Select(async id =>
        {
            using var response = await env.Caller.GetAsync($"/mytest?id={id}");
            return (id, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        foreach (var (id, status, body) in answers)
        {
            Assert.DoesNotContain(env.Function.SystemKey, body, StringComparison.Ordinal);
            if (id[^1] is '0' or '3' or '6')
            {
                Assert.Equal(HttpStatusCode.BadGateway, status);
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("<", body, StringComparison.Ordinal);
            var links = JsonDocument.Parse(body).RootElement;
            Assert.Equal(id, links.GetProperty("id").GetString());
            foreach (var (name, operation) in new[] { ("statusQueryGetUri", string.Empty), ("terminatePostUri", "/terminate?reason=%3Cb%3E"), ("sendEventPostUri", "/raiseEvent/Approval") })
            {
                // Followed one at a time, so the function's last request is this link's.
                var link = links.GetProperty(name).GetString()!;
                using var followed = operation.Length == 0 ? await env.Caller.GetAsync(link) : await env.Caller.PostAsync(link, new StringContent("{}"));
                var target = env.Function.ReceivedTargets.Last();
                Assert.StartsWith($"/runtime/webhooks/durabletask/instances/{id}{operation.Split('?')[0]}?taskHub=Hub{id}&code={env.Function.SystemKey}", target, StringComparison.Ordinal);
            }
        }
    }

    private static byte[] Body(ProxyTestHost env, string url) => Encoding.UTF8.GetBytes(
        $$"""{"statusQueryGetUri":"{{url.Replace("{host}", $"127.0.0.1:{env.Function.Port}", StringComparison.Ordinal).Replace("{path}", Instance, StringComparison.Ordinal).Replace("{key}", env.Function.SystemKey, StringComparison.Ordinal)}}"}""");
}
