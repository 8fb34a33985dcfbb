using System.Net;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// The rewritten-body copier returns the function's pooled buffer before the caller's pipe is flushed: each caller must
/// still get its own bytes, never another response's, however many rewritten bodies are in flight and however slowly
/// their callers read.
/// </summary>
public sealed class RewrittenBodyCrossTalkTests
{
    [Fact]
    public async Task Concurrent_rewritten_bodies_read_slowly_each_reach_their_own_caller_whole()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = async context =>
        {
            // A body near the rewrite limit, filled with the request's own letter, around the request's own instance.
            var id = context.Request.Query["id"].ToString();
            var url = $"{env.Function.Origin}/runtime/webhooks/durabletask/instances/{id}?taskHub=Hub&connection=Storage&code=SYSTEMKEY";
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id, statusQueryGetUri = url, fill = new string(id[0], 60_000) }));
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        };

        var ids = Enumerable.Range(0, 26).Select(i => $"{(char)('a' + i)}{i}").ToList();

        // Every response's head is in before any body is read: their buffers are all back in the pool, reused by others.
        var responses = await Task.WhenAll(ids.Select(id => env.Caller.GetAsync($"/mytest?id={id}", HttpCompletionOption.ResponseHeadersRead)));
        try
        {
            for (var i = 0; i < ids.Count; i++)
            {
                Assert.Equal(HttpStatusCode.OK, responses[i].StatusCode);
                var received = await responses[i].Content.ReadAsStringAsync();
                using var json = JsonDocument.Parse(received);
                Assert.Equal(ids[i], json.RootElement.GetProperty("id").GetString());
                Assert.Equal(new string(ids[i][0], 60_000), json.RootElement.GetProperty("fill").GetString());
                Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", json.RootElement.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
                Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
