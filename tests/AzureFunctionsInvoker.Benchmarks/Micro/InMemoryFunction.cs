using System.Net;
using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// A function that answers without sockets, so a benchmark measures the forwarder and nothing of the network:
/// it takes any request body to its end, then answers with the body size the path asks for.
/// </summary>
public sealed class InMemoryFunction : HttpMessageHandler
{
    /// <summary>The answer to <c>/large</c>: 1 MiB.</summary>
    public static readonly byte[] LargeBody = new byte[1024 * 1024];

    private static readonly byte[] s_smallBody = "Hello Kong!"u8.ToArray();
    private static readonly MediaTypeHeaderValue s_textPlain = new("text/plain");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null)
        {
            // As SocketsHttpHandler does: the content writes itself to the connection.
            await request.Content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }

        var body = request.RequestUri!.AbsolutePath.EndsWith("/large", StringComparison.Ordinal) ? LargeBody : s_smallBody;
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = s_textPlain;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
    }
}
