using System.Net;
using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>A function that answers every request 200 with <paramref name="body"/> as <c>application/json</c>, without sockets.</summary>
internal sealed class JsonFunction(byte[] body) : HttpMessageHandler
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = s_json;
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }
}
