using System.Net;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Durable Functions behind the proxy, over real sockets against the stand-in's starter and management API: every
/// management URL the caller gets is a link through the mount, the walk start, status, raise event, terminate works
/// through those links in both of Durable's shapes, and no header or body byte the caller receives names the function's
/// host, the system key, the task hub or the connection.
/// </summary>
public sealed class DurableLinkTests
{
    private static readonly string[] s_inProcessLinks =
        ["statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "rewindPostUri", "purgeHistoryDeleteUri", "restartPostUri", "suspendPostUri", "resumePostUri"];

    private static readonly string[] s_isolatedLinks =
        ["StatusQueryGetUri", "SendEventPostUri", "TerminatePostUri", "PurgeHistoryDeleteUri", "SuspendPostUri", "ResumePostUri"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Start_status_raise_event_and_complete_through_links_only(bool isolated)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        env.Function.IsolatedShape = isolated;

        using var start = await env.Caller.PostAsync("/mytest/hello", new StringContent("{}"));
        var startBody = await AssertNothingLeaksAsync(env, start);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal(isolated ? null : "10", start.Headers.RetryAfter?.ToString());
        using var links = JsonDocument.Parse(startBody);
        var names = isolated ? s_isolatedLinks : s_inProcessLinks;
        foreach (var name in names)
        {
            Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", links.RootElement.GetProperty(name).GetString(), StringComparison.Ordinal);
        }

        var id = links.RootElement.GetProperty(isolated ? "Id" : "id").GetString()!;
        var status = links.RootElement.GetProperty(names[0]).GetString()!;
        // The Location is the status link too (its own token: each is encrypted afresh).
        Assert.Matches($"^http://127.0.0.1:{env.Port}/mytest/_durable/[A-Za-z0-9_-]+$", start.Headers.Location!.OriginalString);
        Assert.Matches($"^http://127.0.0.1:{env.Port}/mytest/_durable/[A-Za-z0-9_-]+$", status);

        // Running: 202 with a Location that is the very URL the proxy requested, hidden parameters and all.
        using var running = await env.Caller.GetAsync(status);
        await AssertNothingLeaksAsync(env, running);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", running.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var raise = links.RootElement.GetProperty(names[1]).GetString()!.Replace("{eventName}", "approve", StringComparison.Ordinal);
        Assert.EndsWith("/raiseEvent/approve", raise, StringComparison.Ordinal);
        using var raised = await env.Caller.PostAsync(raise, new StringContent("\"approved by test\""));
        await AssertNothingLeaksAsync(env, raised);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);

        using var completed = await env.Caller.GetAsync(running.Headers.Location);
        var completedBody = await AssertNothingLeaksAsync(env, completed);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Contains("\"runtimeStatus\":\"Completed\"", completedBody, StringComparison.Ordinal);
        Assert.Equal("\"approved by test\"", env.Function.Instances[id].Output);

        // Each request reached the instance's management URL with the system key, and the shape's hidden parameters.
        var hidden = isolated ? $"code={env.Function.SystemKey}" : $"taskHub={StandInFunction.TaskHub}&connection={StandInFunction.Connection}&code={env.Function.SystemKey}";
        Assert.Equal(
            [
                $"/runtime/webhooks/durabletask/instances/{id}?{hidden}",
                $"/runtime/webhooks/durabletask/instances/{id}/raiseEvent/approve?{hidden}",
                $"/runtime/webhooks/durabletask/instances/{id}?{hidden}",
            ],
            env.Function.DurableTargets);
    }

    [Theory]
    [InlineData(false, "{text}")]
    [InlineData(true, "{{text}}")]
    public async Task Terminate_takes_the_callers_reason(bool isolated, string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        env.Function.IsolatedShape = isolated;
        var (links, id) = await StartAsync(env);

        var terminate = links.GetProperty(isolated ? "TerminatePostUri" : "terminatePostUri").GetString()!;
        Assert.EndsWith($"/terminate?reason={template}", terminate, StringComparison.Ordinal);
        using var terminated = await env.Caller.PostAsync(terminate.Replace(template, "no%20longer%20needed", StringComparison.Ordinal), null);
        await AssertNothingLeaksAsync(env, terminated);

        Assert.Equal(HttpStatusCode.Accepted, terminated.StatusCode);
        Assert.Equal("Terminated", env.Function.Instances[id].Status);
        Assert.Equal("no longer needed", env.Function.Instances[id].Reason);
    }

    [Fact]
    public async Task The_callers_own_key_task_hub_and_connection_never_reach_the_function()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var (links, id) = await StartAsync(env);
        var status = links.GetProperty("statusQueryGetUri").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, status + "?code=forged&taskHub=Other&connection=Other&c%6Fde=forged&CODE=forged&showHistory=true&reason=a%26code%3Dforged");
        request.Headers.Add("x-functions-key", "forged");

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(
            $"/runtime/webhooks/durabletask/instances/{id}?taskHub={StandInFunction.TaskHub}&connection={StandInFunction.Connection}&code={env.Function.SystemKey}&showHistory=true&reason=a%26code%3Dforged",
            Assert.Single(env.Function.DurableTargets));
    }

    [Theory]
    [InlineData("{link}x")] // tampered
    [InlineData("{link}/")]
    [InlineData("{link}/instances/{other}")]
    [InlineData("{link}/raiseEvent")]
    [InlineData("{link}/raiseEvent/a/b")]
    [InlineData("{link}/raiseEvent/..")]
    [InlineData("{link}/raiseEvent/%2e%2e")]
    [InlineData("{link}/../{otherToken}")]
    [InlineData("{link}/purge")]
    [InlineData("/mytest/_durable/{otherToken}x")]
    [InlineData("/mytest/_durable/AAAA")]
    [InlineData("/mytest/_durable/not*base64")]
    [InlineData("/mytest/_durable/%41%41")]
    public async Task A_link_that_does_not_read_gets_404_and_nothing_is_forwarded(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var (first, _) = await StartAsync(env);
        var (second, other) = await StartAsync(env);
        var link = new Uri(first.GetProperty("statusQueryGetUri").GetString()!).AbsolutePath;
        var otherToken = new Uri(second.GetProperty("statusQueryGetUri").GetString()!).AbsolutePath["/mytest/_durable/".Length..];
        var path = template.Replace("{link}", link, StringComparison.Ordinal).Replace("{other}", other, StringComparison.Ordinal).Replace("{otherToken}", otherToken, StringComparison.Ordinal);

        using var response = await env.SendRawPathAsync(HttpMethod.Post, path);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {response.StatusCode}");
        Assert.Empty(env.Function.DurableTargets);
        Assert.DoesNotContain(env.Function.ReceivedPaths, p => p.Contains("_durable", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_tampered_token_is_answered_404_with_a_problem_and_logged_at_debug()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var (links, _) = await StartAsync(env);
        var status = links.GetProperty("statusQueryGetUri").GetString()!;
        var token = status[(status.LastIndexOf('/') + 1)..];
        var flipped = token[..10] + (token[10] == 'A' ? 'B' : 'A') + token[11..];

        using var response = await env.Caller.GetAsync(status.Replace(token, flipped, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("\"status\":404", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "DurableLinkInvalid" && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug);
        Assert.Empty(env.Function.DurableTargets);
    }

    [Theory]
    [InlineData(null, 7 * 24 * 60)]
    [InlineData("01:00:00", 60)]
    public async Task A_link_expires_after_DurableLinksLifetime(string? lifetime, int minutes)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await new ProxyHostBuilder()
            .MountFunction("orchestrators", options => options.DurableLinksLifetime = lifetime is null ? options.DurableLinksLifetime : TimeSpan.Parse(lifetime, System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureServices(builder => builder.Services.AddSingleton<TimeProvider>(clock))
            .StartAsync();
        var (links, _) = await StartAsync(env);
        var status = links.GetProperty("statusQueryGetUri").GetString()!;

        clock.Advance(TimeSpan.FromMinutes(minutes) - TimeSpan.FromSeconds(1));
        using (var stillValid = await env.Caller.GetAsync(status))
        {
            Assert.Equal(HttpStatusCode.Accepted, stillValid.StatusCode);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        using var expired = await env.Caller.GetAsync(status);

        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.Single(env.Function.DurableTargets);
    }

    [Fact]
    public async Task A_link_of_one_function_reads_as_nothing_at_another()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["First"] = "orchestrators", ["Second"] = "orchestrators" })
            .ConfigurePipeline(app =>
            {
                app.UseAzureFunctionProxy("/first", "First");
                app.UseAzureFunctionProxy("/second", "Second");
            })
            .StartAsync();
        using var start = await env.Caller.PostAsync("/first/hello", null);
        var status = new Uri(start.Headers.Location!.OriginalString).AbsolutePath;

        using var own = await env.Caller.GetAsync(status);
        using var other = await env.Caller.GetAsync(status.Replace("/first/", "/second/", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Single(env.Function.DurableTargets);
    }

    [Fact]
    public async Task DurableLinksPath_empty_passes_durable_urls_as_written_and_the_path_to_the_function()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("orchestrators", options => options.DurableLinksPath = string.Empty)
            .StartAsync();

        using var start = await env.Caller.PostAsync("/mytest/hello", null);

        Assert.Contains(env.Function.SystemKey, start.Headers.Location!.OriginalString, StringComparison.Ordinal);
        using var passed = await env.Caller.GetAsync("/mytest/_durable/x");
        Assert.Contains("/api/orchestrators/_durable/x", env.Function.ReceivedPaths);
    }

    [Fact]
    public async Task A_custom_DurableLinksPath_names_the_links()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators", options => options.DurableLinksPath = "ops").StartAsync();
        var (links, _) = await StartAsync(env);
        var status = links.GetProperty("statusQueryGetUri").GetString()!;

        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/ops/", status, StringComparison.Ordinal);
        using var running = await env.Caller.GetAsync(status);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
    }

    [Fact]
    public async Task With_backends_a_link_goes_to_the_backend_it_was_made_on()
    {
        using var dead = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        dead.Start();
        var deadPort = ((IPEndPoint)dead.LocalEndpoint).Port;
        dead.Stop(); // a port nothing listens on: the first backend refuses every connection
        await using var env = await new ProxyHostBuilder()
            .MountFunction("orchestrators", options =>
            {
                options.Backends = [new() { Port = deadPort, Priority = 1 }, new() { Port = options.Port, Priority = 2 }];
                options.FailureThreshold = 1000;
            })
            .StartAsync();

        using var start = await env.Caller.PostAsync("/mytest/hello", null);
        var status = start.Headers.Location!.OriginalString;
        using var running = await env.Caller.GetAsync(status);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", status, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Single(env.Function.DurableTargets);
    }

    [Fact]
    public async Task Links_follow_the_callers_path_base()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("orchestrators")
            .ConfigurePipeline(app => app.UsePathBase("/base"))
            .StartAsync();

        using var start = await env.Caller.PostAsync("/base/mytest/hello", null);
        var status = start.Headers.Location!.OriginalString;
        using var running = await env.Caller.GetAsync(status);

        Assert.StartsWith($"http://127.0.0.1:{env.Port}/base/mytest/_durable/", status, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
    }

    private static async Task<(JsonElement Links, string Id)> StartAsync(ProxyTestHost env)
    {
        using var start = await env.Caller.PostAsync("/mytest/hello", null);
        var body = await AssertNothingLeaksAsync(env, start);
        var links = JsonDocument.Parse(body).RootElement.Clone();
        return (links, links.GetProperty(env.Function.IsolatedShape ? "Id" : "id").GetString()!);
    }

    // Every header and body byte the caller received, decoded as JSON would be too (so \u0026 or \/ hide nothing).
    private static async Task<string> AssertNothingLeaksAsync(ProxyTestHost env, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var everything = new StringBuilder(body);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            everything.Append('\n').Append(name).Append(": ").AppendJoin(", ", values);
        }

        if (body.StartsWith('{'))
        {
            everything.Append('\n').Append(JsonSerializer.Serialize(JsonDocument.Parse(body), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }

        var text = everything.ToString();
        foreach (var secret in new[] { env.Function.SystemKey, env.Function.Key, StandInFunction.TaskHub, StandInFunction.Connection, $":{env.Function.Port}/", "runtime/webhooks", "code=" })
        {
            Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"The caller received '{secret}': {text}");
        }

        return body;
    }
}
