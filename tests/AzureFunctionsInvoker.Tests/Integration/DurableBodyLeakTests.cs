using System.Net;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// What a misbehaving or reflecting function can hand back in a JSON body, from the attacker's side: the system key must
/// not pass in a body the proxy could read (<c>Content-Encoding: identity</c>, JSON that fails to parse yet spells
/// <c>durabletask</c> with escapes), a rewritten string keeps the function's HTML-safe escaping, and a Durable body is
/// timed read by read.
/// </summary>
public sealed class DurableBodyLeakTests
{
    private const string Management = "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&connection=Storage&code=SYSTEMKEY";

    [Theory]
    [InlineData("identity")]
    [InlineData("IDENTITY")]
    [InlineData("identity, identity")]
    public async Task Content_Encoding_identity_is_no_encoding(string coding)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{env.Function.Origin}}{{Management}}"}""");
        env.Function.Answer = FramedAnswer.Of(body, contentEncoding: coding);

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.Contains("/mytest/_durable/", received, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":"\ud800","u":"{origin}/runtime/webhooks/durable\u0074ask/instances/x?code=SYSTEMKEY"}""", false)] // lone surrogate
    [InlineData("""{"a":"\uDC00","u":"{origin}/runtime/webhooks/DURABLE\u0054ASK/instances/x?code=SYSTEMKEY"}""", false)]
    [InlineData("""{"a":"{invalid}","u":"{origin}/runtime/webhooks/durable\u0074ask/instances/x?code=SYSTEMKEY"}""", false)] // invalid UTF-8
    [InlineData("""[1,,"{origin}/runtime/webhooks/durable\u0074ask/instances/x?code=SYSTEMKEY"]""", false)]
    [InlineData("""[1,,"{origin}/runtime/webhooks/\u0064\u0075\u0072\u0061\u0062\u006c\u0065\u0074\u0061\u0073\u006b/instances/x?code=SYSTEMKEY"]""", false)]
    [InlineData("""[1,,"{origin}\/runtime\/webhooks\/durabletask\/instances\/x?code=SYSTEMKEY"]""", false)]
    [InlineData("""[1,,"hello \u0064urable"]""", true)] // cannot spell the webhook path
    [InlineData("""{"a":"{invalid}","b":"plain"}""", true)]
    public async Task A_json_body_that_does_not_parse_passes_only_when_it_cannot_spell_a_management_url(string template, bool passes)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Bytes(template.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal));
        env.Function.Answer = FramedAnswer.Of(body);

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsByteArrayAsync();

        if (passes)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(body, received);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.DoesNotContain("SYSTEMKEY", Encoding.Latin1.GetString(received), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_rewritten_string_keeps_html_sensitive_characters_escaped()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        const string reason = """\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e\u0026\u0027\u0022""";
        var body = $$"""{"terminatePostUri":"{{env.Function.Origin}}/runtime/webhooks/durabletask/instances/abc/terminate?reason={{reason}}\u0026code=SYSTEMKEY"}""";
        env.Function.Answer = FramedAnswer.Of(Encoding.UTF8.GetBytes(body));

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();
        var link = JsonDocument.Parse(received).RootElement.GetProperty("terminatePostUri").GetString()!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("/mytest/_durable/", link, StringComparison.Ordinal);
        Assert.Contains("</script><img", Uri.UnescapeDataString(link), StringComparison.Ordinal);
        foreach (var raw in "<>&'")
        {
            Assert.DoesNotContain(raw, received);
        }

        // The only raw double quotes are the JSON's own: the property name's and the string's.
        Assert.Equal(4, received.Count(c => c == '"'));
    }

    [Fact]
    public async Task Timeout_bounds_each_read_of_a_Durable_body_not_the_whole_body()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer", options => options.Timeout = 2000).StartAsync();
        env.Function.Answer = context => context.Response.WriteAsync("warm");
        await env.WarmUpAsync("/mytest");
        var pieces = 8;
        env.Function.Answer = async context =>
        {
            var url = env.Function.Origin + Management;
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.ContentType = "application/json";
            context.Response.Headers.Location = url;
            await context.Response.WriteAsync($$"""{"statusQueryGetUri":"{{url}}","padding":[""");
            for (var i = 0; i < pieces; i++)
            {
                // A slow function: each piece well within Timeout, the whole body well beyond it.
                await Task.Delay(TimeSpan.FromMilliseconds(400));
                await context.Response.WriteAsync((i == 0 ? string.Empty : ",") + $"\"{new string('x', 4000)}\"");
                await context.Response.Body.FlushAsync();
            }

            await context.Response.WriteAsync("]}");
        };

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.Contains("/mytest/_durable/", received, StringComparison.Ordinal);
        Assert.Equal(pieces, JsonDocument.Parse(received).RootElement.GetProperty("padding").GetArrayLength());
    }

    // The template as UTF-8, with "{invalid}" as a byte no UTF-8 text holds.
    private static byte[] Bytes(string template)
    {
        var parts = template.Split("{invalid}");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(parts[0]));
        for (var i = 1; i < parts.Length; i++)
        {
            bytes.Add(0xFF);
            bytes.AddRange(Encoding.UTF8.GetBytes(parts[i]));
        }

        return [.. bytes];
    }
}
