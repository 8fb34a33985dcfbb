using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Durable links attacked from both sides, over real sockets: a caller forging, stretching or re-encoding a link and
/// smuggling parameters into it, and a function that reflects what the caller wrote into the body the proxy rewrites.
/// A link reaches its own instance's operations with the hidden parameters the function wrote, and nothing else.
/// </summary>
public sealed class DurableLinkAbuseTests
{
    [Fact]
    public async Task A_management_url_the_caller_wrote_into_a_reflected_body_never_gains_the_functions_key()
    {
        // The proxy holds an admin-level key (a master key opens the management API too); another caller's instance
        // runs; a function (an orchestration's status showing its input) reflects what this caller sent.
        var masterKey = Guid.NewGuid().ToString("N");
        await using var env = await new ProxyHostBuilder().MountFunction("answer", options => options.ApiKey = masterKey).StartAsync();
        env.Function.MasterKey = masterKey;
        env.Function.IsolatedShape = true;
        var victim = await StartDirectlyAsync(env, masterKey);
        env.Function.Answer = ReflectAsync;

        using var reflected = await env.Caller.PostAsync("/mytest", new StringContent($"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{victim}"));
        var link = JsonDocument.Parse(await reflected.Content.ReadAsStringAsync()).RootElement.GetProperty("input").GetString()!;
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", link, StringComparison.Ordinal);
        using var stolen = await env.Caller.GetAsync(link);

        // The link went where its URL said, with no key of the proxy's: the host refuses it as it would the caller.
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
        Assert.Equal($"/runtime/webhooks/durabletask/instances/{victim}", env.Function.DurableTargets.Last());
        Assert.DoesNotContain(victim, await stolen.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{link}=")] // base64 padding
    [InlineData("{link}%3D")]
    [InlineData("{link}%2Fterminate")] // an encoded slash is no separator
    [InlineData("{link}%2fterminate")]
    [InlineData("{link};terminate")]
    [InlineData("{link}%00")]
    [InlineData("{link}%20")]
    [InlineData("{lowercase}")]
    [InlineData("{link}//terminate")]
    [InlineData("{link}/./terminate")]
    [InlineData("{link}/terminate/")]
    [InlineData("{link}/terminate/x")]
    [InlineData("{link}/terminate%2F..%2F..%2F..%2F..%2Fadmin%2Fhost%2Fstatus")]
    [InlineData("{link}/raiseEvent/x%2F..%2F..%2F..%2F..%2Fadmin%2Fhost%2Fstatus")]
    [InlineData("{link}/raiseEvent/%2E%2E%2F%2E%2E")]
    [InlineData("{link}/raiseEvent/.%2e")]
    [InlineData("{link}/raiseEvent/x%5C..%5C..%5Cadmin")]
    [InlineData("{link}/raiseEvent/x%00")]
    [InlineData("{link}/raiseEvent/x%0D%0AHost:%20evil")]
    [InlineData("{link}/raiseEvent/%EF%BC%8E%EF%BC%8E")] // fullwidth dots, which NFKC folds into ".."
    [InlineData("{link}/raiseEvent/")]
    [InlineData("{link}/raiseEvent/x/")]
    [InlineData("{link}/../../admin/host/status")]
    [InlineData("{link}/%2E%2E/%2E%2E/admin/host/status")]
    [InlineData("/mytest/_durable/{huge}")] // far past any token: read, found wanting, never forwarded
    [InlineData("/mytest/_durable//{token}")]
    [InlineData("/mytest/_durable/%2F{token}")]
    [InlineData("/mytest/_DURABLE/{token}x")]
    public async Task A_stretched_or_re_encoded_link_gets_404_and_nothing_is_forwarded(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var link = await StartAsync(env);
        var token = link["/mytest/_durable/".Length..];
        var path = template
            .Replace("{link}", link, StringComparison.Ordinal)
            .Replace("{lowercase}", link.ToLowerInvariant(), StringComparison.Ordinal)
            .Replace("{token}", token, StringComparison.Ordinal)
            .Replace("{huge}", new string('A', 6000), StringComparison.Ordinal);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Delete })
        {
            using var response = await env.SendRawPathAsync(method, path, method == HttpMethod.Get ? null : new StringContent("body"));
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{method} {path}: {response.StatusCode}");
        }

        Assert.Empty(env.Function.DurableTargets);
        Assert.DoesNotContain(env.Function.ReceivedPaths, p => p.Contains("_durable", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("?code")]
    [InlineData("?code&reason=x")]
    [InlineData("?;code=forged")]
    [InlineData("?reason=a;code=forged")]
    [InlineData("?reason=a&&code=forged&")]
    [InlineData("?%63%6F%64%65=forged&%74askHub=Other")]
    [InlineData("?code%00=forged&taskHub%20=Other")]
    [InlineData("?reason=%26code%3Dforged%26taskHub%3DOther")]
    [InlineData("?reason=x%23&code=forged")]
    [InlineData("?reason=1&reason=2&showHistory&code=&connection=Other")]
    [InlineData("?reason==code=forged")]
    [InlineData("?showHistory=true+%26code%3Dforged")]
    public async Task Smuggled_parameters_never_reach_the_host_as_its_own(string query)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var link = await StartAsync(env);

        using var response = await env.SendRawPathAsync(HttpMethod.Get, link + query);

        // Read as the Functions host (ASP.NET Core) reads a query: exactly the hidden parameters the function wrote.
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = QueryHelpers.ParseQuery(new Uri("http://host" + Assert.Single(env.Function.DurableTargets)).Query);
        Assert.Equal(env.Function.SystemKey, Assert.Single(received["code"]));
        Assert.Equal(StandInFunction.TaskHub, Assert.Single(received["taskHub"]));
        Assert.Equal(StandInFunction.Connection, Assert.Single(received["connection"]));
    }

    [Theory]
    [InlineData("a%3Fcode%3Dforged", "a?code=forged")]
    [InlineData("a%23code%3Dforged", "a#code=forged")]
    [InlineData("a%26code%3Dforged", "a&code=forged")]
    [InlineData("%E2%82%AC%20and%20more", "€ and more")]
    public async Task An_event_name_holding_query_characters_stays_the_event_name(string encoded, string name)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var link = await StartAsync(env);

        using var raised = await env.SendRawPathAsync(HttpMethod.Post, $"{link}/raiseEvent/{encoded}", new StringContent("\"payload\""));

        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        var instance = Assert.Single(env.Function.Instances.Values);
        Assert.Equal((name, "\"payload\""), Assert.Single(instance.Events));
        var target = Assert.Single(env.Function.DurableTargets);
        Assert.EndsWith($"/raiseEvent/{encoded}?taskHub={StandInFunction.TaskHub}&connection={StandInFunction.Connection}&code={env.Function.SystemKey}", target, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"HTTP://{authority}{url}\"")]
    [InlineData("\"http://{authority}/RUNTIME/Webhooks/DurableTask/instances/abc?code=SYSTEMKEY\"")]
    [InlineData("\"http:\\u002F\\u002F{authority}\\u002Fruntime\\u002Fwebhooks\\u002Fdurabletask\\u002Finstances\\u002Fabc?code\\u003DSYSTEMKEY\"")]
    [InlineData("\"http://127.0.0.1:0{port}{url}\"")] // the port with a leading zero
    [InlineData("\"http://0x7f.0.0.1:{port}{url}\"")] // the address in hex, which browsers read as 127.0.0.1
    [InlineData("\"http://{authority}{url}\\n\"")]
    [InlineData("[[[{\"x\":[\"http://{authority}{url}\"]}]]]")]
    public async Task A_management_url_the_function_spells_unusually_is_still_rewritten(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var port = env.Function.Port.ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(template
            .Replace("{authority}", "127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("{port}", port, StringComparison.Ordinal)
            .Replace("{url}", "/runtime/webhooks/durabletask/instances/abc?code=SYSTEMKEY", StringComparison.Ordinal));
        env.Function.Answer = context =>
        {
            context.Response.ContentType = "APPLICATION/JSON";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        };

        using var response = await env.Caller.GetAsync("/mytest");
        var received = JsonSerializer.Serialize(JsonDocument.Parse(await response.Content.ReadAsStringAsync()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain("runtime", received, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("/mytest/_durable/", received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callers_accept_encoding_does_not_reach_the_management_api_so_its_answer_can_be_rewritten()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var link = await StartAsync(env);
        using var request = new HttpRequestMessage(HttpMethod.Get, link);
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var running = await env.Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Empty(running.Content.Headers.ContentEncoding);
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", running.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains("\"runtimeStatus\":\"Running\"", await running.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_to_a_host_that_is_down_fails_with_502_and_its_key_is_in_no_answer_or_log()
    {
        await using var env = await new ProxyHostBuilder().WithRegions(1).WithClock().MountBackends().StartAsync();
        var region = env.Regions[0];
        var systemKey = Guid.NewGuid().ToString("N");
        var management = $"http://127.0.0.1:{region.Port}/runtime/webhooks/durabletask/instances/abc?code={systemKey}";
        region.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.Headers.Location = management;
            return Task.CompletedTask;
        };
        using var start = await env.PostAsync([]);
        var link = start.Headers.Location!;
        await region.StopAsync();

        using var down = await env.Caller.PostAsync(new Uri(link.OriginalString + "/terminate?reason=x"), new StringContent("body"));
        using var downStatus = await env.Caller.GetAsync(link);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        foreach (var response in new[] { down, downStatus })
        {
            Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, response.StatusCode.ToString());
            Assert.DoesNotContain(systemKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.DoesNotContain(systemKey, response.Headers.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        env.Logs.AssertNeverLogged(systemKey);
    }

    [Fact]
    public async Task An_http2_caller_walks_the_links_and_a_tampered_one_is_refused()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").WithProtocols(HttpProtocols.Http2).StartAsync();
        env.Caller.DefaultRequestVersion = HttpVersion.Version20;
        env.Caller.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        var link = await StartAsync(env);

        using var running = await env.Caller.GetAsync(link);
        using var tampered = await env.Caller.GetAsync(link + "A");

        Assert.Equal(HttpVersion.Version20, running.Version);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, tampered.StatusCode);
        Assert.Single(env.Function.DurableTargets);
    }

    // The status link the proxy handed out for a new instance, path only.
    private static async Task<string> StartAsync(ProxyTestHost env)
    {
        using var start = await env.Caller.PostAsync("/mytest/hello", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        return start.Headers.Location!.AbsolutePath;
    }

    // An instance another caller started on the function host itself.
    private static async Task<string> StartDirectlyAsync(ProxyTestHost env, string key)
    {
        using var direct = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{env.Function.Origin}/api/orchestrators/victim");
        request.Headers.Add("x-functions-key", key);
        using var started = await direct.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return Assert.Single(env.Function.Instances.Keys);
    }

    // A function that shows the caller what it sent, as an orchestration's status shows its input.
    private static async Task ReflectAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["input"] = await reader.ReadToEndAsync() }));
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    }
}
