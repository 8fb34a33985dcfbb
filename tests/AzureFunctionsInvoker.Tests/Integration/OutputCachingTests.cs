using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// ASP.NET Core output caching on <c>MapAzureFunctionProxy</c> endpoints (<c>CacheOutput()</c>), with the in-memory
/// store, against the stand-in over real sockets: what reaches the function is counted there, so "served from the
/// cache" means the function was not called. Durable answers and event streams are never stored, even under a policy
/// that would store anything.
/// </summary>
public sealed class OutputCachingTests
{
    private static readonly Dictionary<string, string> s_functions = new()
    {
        ["Cached"] = "echo",
        ["Cookies"] = "cookies",
        ["Durable"] = "orchestrators",
        ["Events"] = "answer",
    };

    [Fact]
    public async Task Repeated_GETs_of_one_URL_reach_the_function_once()
    {
        await using var env = await StartAsync();

        var first = await env.Caller.GetStringAsync("/cached/item?x=1");
        var sequential = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            sequential.Add(await env.Caller.GetStringAsync("/cached/item?x=1"));
        }

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => env.Caller.GetStringAsync("/cached/item?x=1")));

        Assert.Equal(["/api/echo/item?x=1"], env.Function.ReceivedTargets);
        Assert.All(sequential.Concat(concurrent), body => Assert.Equal(first, body));
    }

    [Fact]
    public async Task The_policys_VaryByQuery_and_VaryByHeader_hold()
    {
        await using var env = await StartAsync();

        foreach (var path in new[] { "/by-query/q?name=a", "/by-query/q?name=a&ignored=1", "/by-query/q?name=b", "/by-query/q?name=a" })
        {
            using var response = await env.Caller.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var language in new[] { "en", "fr", "en", "fr" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/by-header/h");
            request.Headers.AcceptLanguage.ParseAdd(language);
            using var response = await env.Caller.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(["/api/echo/q?name=a", "/api/echo/q?name=b", "/api/echo/h", "/api/echo/h"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task Answers_with_Set_Cookie_and_requests_with_Authorization_are_not_cached()
    {
        await using var env = await StartAsync();

        for (var i = 0; i < 2; i++)
        {
            using var cookies = await env.Caller.GetAsync("/cookies/c");
            Assert.Equal(2, cookies.Headers.GetValues("Set-Cookie").Count());
            using var authorized = new HttpRequestMessage(HttpMethod.Get, "/cached/mine");
            authorized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "caller-token");
            using var mine = await env.Caller.SendAsync(authorized);
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }

        Assert.Equal(["/api/cookies/c", "/api/echo/mine", "/api/cookies/c", "/api/echo/mine"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task Durable_starts_and_link_answers_are_never_cached_even_by_a_policy_that_caches_everything()
    {
        await using var env = await StartAsync();

        // The policy does store a POST's answer otherwise.
        using (await env.Caller.PostAsync("/everything/e", null))
        using (await env.Caller.PostAsync("/everything/e", null))
        {
            Assert.Single(env.Function.ReceivedTargets);
        }

        using var first = await env.Caller.PostAsync("/durable/hello", null);
        using var second = await env.Caller.PostAsync("/durable/hello", null);
        var firstId = await IdOfAsync(first);
        var secondId = await IdOfAsync(second);
        using var links = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        var status = links.RootElement.GetProperty("statusQueryGetUri").GetString()!;
        using (await env.Caller.PostAsync(links.RootElement.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "approve", StringComparison.Ordinal), new StringContent("1")))
        using (var completed = await env.Caller.GetAsync(status))
        using (var again = await env.Caller.GetAsync(status))
        {
            Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Null(again.Headers.Age);
        }

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.NotEqual(firstId, secondId);
        Assert.Equal(2, env.Function.Instances.Count);
        Assert.Equal(3, env.Function.DurableTargets.Count);
    }

    [Fact]
    public async Task An_event_stream_passes_through_a_cached_endpoint_as_written_and_is_never_cached()
    {
        await using var env = await StartAsync();
        var calls = 0;
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        env.Function.Answer = async context =>
        {
            Interlocked.Increment(ref calls);
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: first\n\n");
            await context.Response.Body.FlushAsync();
            await proceed.Task;
            await context.Response.WriteAsync("data: last\n\n");
        };

        using var response = await env.Caller.GetAsync("/events/e", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var firstEvent = await reader.ReadLineAsync();
        proceed.SetResult();
        var rest = await reader.ReadToEndAsync();
        using var again = await env.Caller.GetAsync("/events/e");

        Assert.Equal("data: first", firstEvent);
        Assert.Equal("\ndata: last\n\n", rest);
        Assert.Equal(2, calls);
        Assert.Null(again.Headers.Age);
    }

    private static async Task<string> IdOfAsync(HttpResponseMessage start)
    {
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var body = JsonDocument.Parse(await start.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static Task<ProxyTestHost> StartAsync() => new ProxyHostBuilder()
        .AddNamedFunctions(s_functions)
        .ConfigurePipeline(app =>
        {
            app.UseOutputCache();
            app.MapAzureFunctionProxy("/cached/{**rest}", "Cached").CacheOutput();
            app.MapAzureFunctionProxy("/by-query/{**rest}", "Cached").CacheOutput(policy => policy.SetVaryByQuery("name"));
            app.MapAzureFunctionProxy("/by-header/{**rest}", "Cached").CacheOutput(policy => policy.SetVaryByHeader("Accept-Language"));
            app.MapAzureFunctionProxy("/cookies/{**rest}", "Cookies").CacheOutput();
            app.MapAzureFunctionProxy("/everything/{**rest}", "Cached").CacheOutput(CacheEverything.Instance);
            app.MapAzureFunctionProxy("/durable/{**rest}", "Durable").CacheOutput(CacheEverything.Instance);
            app.MapAzureFunctionProxy("/events/{**rest}", "Events").CacheOutput();
        })
        .ConfigureServices(builder => builder.Services.AddOutputCache())
        .StartAsync();

    // Stores any answer to any method: only the library's own marks keep a response out.
    private sealed class CacheEverything : IOutputCachePolicy
    {
        public static readonly CacheEverything Instance = new();

        public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation)
        {
            context.EnableOutputCaching = true;
            context.AllowCacheLookup = true;
            context.AllowCacheStorage = true;
            context.AllowLocking = true;
            context.CacheVaryByRules.QueryKeys = "*";
            return ValueTask.CompletedTask;
        }

        public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

        public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;
    }
}
