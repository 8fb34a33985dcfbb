using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The cost of scanning a streamed body for Durable's webhook path: the 1 MiB download through the library with
/// Durable links on (the scan runs) and off (<c>DurableLinksPath = ""</c>, no scan), for a binary body and for 1 MiB
/// of JSON text full of other URLs (a '/' every few bytes, each one a candidate the scan compares).
/// </summary>
[MemoryDiagnoser]
public class BodyScanBenchmarks
{
    private static readonly byte[] s_jsonWithUrls = Encoding.UTF8.GetBytes(
        "[" + string.Join(',', Enumerable.Range(0, 1024 * 1024 / 64).Select(i => $$"""{"href":"https://example.com/a/{{i % 10}}/b/c"}""")).PadRight(1024 * 1024 - 2) + "]");

    private readonly DiscardStream _responseBody = new();
    private ServiceProvider _services = null!;
    private RequestDelegate _library = null!;

    [Params("binary", "JSON with URLs")]
    public string Body { get; set; } = null!;

    [Params(true, false)]
    public bool Scan { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var body = Body == "binary" ? InMemoryFunction.LargeBody : s_jsonWithUrls;
        (_services, _library) = LibraryPipeline.Build(new LargeFunction(body), options => options.DurableLinksPath = Scan ? "_durable" : string.Empty);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public Task Download() => _library(Scenario.Get1M.CreateContext(_services, _responseBody));

    private sealed class LargeFunction(byte[] body) : HttpMessageHandler
    {
        private static readonly MediaTypeHeaderValue s_type = new("application/octet-stream");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Streamed as a function's large answer is, in reads of whatever the copier asks for.
            var content = new StreamContent(new MemoryStream(body, writable: false));
            content.Headers.ContentType = s_type;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }
}
