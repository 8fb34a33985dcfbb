using System.Net;
using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// A function that answers without sockets, so a benchmark measures the forwarder and nothing of the network:
/// it takes any request body to its end, then answers with the body size the path asks for, a 2 KiB JSON array under
/// <c>/json</c>, or, under
/// <c>/orchestrators/</c>, as a Durable Functions starter does (<c>CreateCheckStatusResponse</c>, in-process shape).
/// </summary>
public sealed class InMemoryFunction : HttpMessageHandler
{
    /// <summary>The answer to <c>/large</c>: 1 MiB.</summary>
    public static readonly byte[] LargeBody = new byte[1024 * 1024];

    private static readonly byte[] s_smallBody = "Hello Kong!"u8.ToArray();
    private static readonly MediaTypeHeaderValue s_textPlain = new("text/plain");
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    // An ordinary JSON answer: a hundred orders with string values, about 2 KiB, no Durable URL.
    private static readonly byte[] s_jsonBody = System.Text.Encoding.UTF8.GetBytes(
        "[" + string.Join(',', Enumerable.Range(0, 100).Select(i => $$"""{"id":"o{{i}}","s":"ok"}""")) + "]");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null)
        {
            // As SocketsHttpHandler does: the content writes itself to the connection.
            await request.Content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }

        if (request.RequestUri!.AbsolutePath.Contains("/orchestrators/", StringComparison.Ordinal))
        {
            return DurableStart(request);
        }

        var path = request.RequestUri!.AbsolutePath;
        var json = path.EndsWith("/json", StringComparison.Ordinal);
        var content = new ByteArrayContent(json ? s_jsonBody : path.EndsWith("/large", StringComparison.Ordinal) ? LargeBody : s_smallBody);
        content.Headers.ContentType = json ? s_json : s_textPlain;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
    }

    private static HttpResponseMessage DurableStart(HttpRequestMessage request)
    {
        const string id = "4f0c3a8e5b2d4c1e9a7f6b5d3c2e1f0a";
        const string hidden = "taskHub=BenchmarkHub&connection=AzureWebJobsStorage&code=0123456789ABCDEF0123456789ABCDEF";
        var instance = $"{request.RequestUri!.GetLeftPart(UriPartial.Authority)}/runtime/webhooks/durabletask/instances/{id}";
        var content = new StringContent(
            $$"""{"id":"{{id}}","statusQueryGetUri":"{{instance}}?{{hidden}}","sendEventPostUri":"{{instance}}/raiseEvent/{eventName}?{{hidden}}","terminatePostUri":"{{instance}}/terminate?reason={text}&{{hidden}}","rewindPostUri":"{{instance}}/rewind?reason={text}&{{hidden}}","purgeHistoryDeleteUri":"{{instance}}?{{hidden}}","restartPostUri":"{{instance}}/restart?{{hidden}}","suspendPostUri":"{{instance}}/suspend?reason={text}&{{hidden}}","resumePostUri":"{{instance}}/resume?reason={text}&{{hidden}}"}""");
        content.Headers.ContentType = s_json;
        var response = new HttpResponseMessage(HttpStatusCode.Accepted) { Content = content, RequestMessage = request };
        response.Headers.Location = new Uri($"{instance}?{hidden}");
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(10));
        return response;
    }
}
