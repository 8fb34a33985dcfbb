using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// Issue 19's cost target for JSON rewriting: a Durable JSON body at the per-response budget (300 management URLs, of
/// 33 instances taken in turn, so 33 links sealed and each other URL's token found the furthest back) against plain JSON of exactly its size, both through the same path
/// (RewrittenJsonCopier reads any application/json body of at most 64 KiB). Two shapes (and two chosen to cost the
/// most: <see cref="AlikeUrls"/>, <see cref="EscapedText"/>): status URLs as
/// CreateHttpManagementPayload writes them (57 KiB), and the shortest URLs a caller could make a function return (26 KiB:
/// the same 300 links in the smallest body, so the most rewriting per plain byte). The Ratio column is the rewritten
/// body's cost in plain bodies of its size (BenchmarkDotNet takes each shape's own baseline); the target is at most 5.
/// </summary>
[MemoryDiagnoser]
public class DurableRewriteCostBenchmarks
{
    /// <summary>The per-response budget, <c>DurableJson.MaxRewrittenUrls</c>.</summary>
    public const int UrlBudget = 300;

    /// <summary>The per-response budget of links sealed, <c>DurableJson.MaxSealedLinks</c>.</summary>
    public const int SealBudget = 33;

    /// <summary>The status URLs of <c>CreateHttpManagementPayload</c>.</summary>
    public const string StatusUrls = "status URLs";

    /// <summary>The shortest management URLs: <c>{origin}/runtime/webhooks/durabletask/instances/{n}?code=K</c>.</summary>
    public const string ShortestUrls = "shortest URLs";

    /// <summary>
    /// Status URLs of one instance whose links differ only in their last query parameter's last two bytes, so that each
    /// token looked for among a thread's recent ones is compared the furthest into its link.
    /// </summary>
    public const string AlikeUrls = "alike URLs";

    /// <summary>
    /// No management URL, but strings dense in escaped letters of <c>durabletask</c> and URLs on the function's origin
    /// that are not quite management URLs: what the rewriter decodes and the scan of what it leaves compares most, with
    /// nothing counted against the budget.
    /// </summary>
    public const string EscapedText = "escaped text";

    private readonly DiscardStream _responseBody = new();
    private ServiceProvider _plainServices = null!;
    private RequestDelegate _plain = null!;
    private ServiceProvider _durableServices = null!;
    private RequestDelegate _durable = null!;

    /// <summary>The shape of the Durable body's URLs.</summary>
    [Params(StatusUrls, ShortestUrls, AlikeUrls, EscapedText)]
    public string Urls { get; set; } = StatusUrls;

    [GlobalSetup]
    public void Setup()
    {
        var durable = DurableBody(Urls);
        (_durableServices, _durable) = LibraryPipeline.Build(new JsonFunction(durable));
        (_plainServices, _plain) = LibraryPipeline.Build(new JsonFunction(PlainBody(durable.Length)));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plainServices.Dispose();
        _durableServices.Dispose();
    }

    [Benchmark(Baseline = true, Description = "plain JSON")]
    public Task Plain() => _plain(Scenario.JsonGet.CreateContext(_plainServices, _responseBody));

    [Benchmark(Description = "300 management URLs")]
    public Task Durable() => _durable(Scenario.JsonGet.CreateContext(_durableServices, _responseBody));

    /// <summary>
    /// 300 URLs, of 33 instances taken in turn: status URLs with the query Durable writes (57 KiB), or the shortest ones
    /// (26 KiB).
    /// </summary>
    public static byte[] DurableBody(string shape)
    {
        if (shape == EscapedText)
        {
            return JsonRewritingBenchmarks.Fill(int.MaxValue, i => i % 2 == 0
                ? $"\"{JsonRewritingBenchmarks.Origin}\\u002Fruntime\\u002Fwebhooks\\u002Fdurable\\u0074as{i}\""
                : "\"\\u0064\\u0075\\u0072\\u0061\\u0062\\u006C\\u0065%74%61%73%6B\"");
        }

        var body = JsonRewritingBenchmarks.Fill(UrlBudget, shape == ShortestUrls
            ? i => $"\"{JsonRewritingBenchmarks.Origin}/runtime/webhooks/durabletask/instances/{i % SealBudget}?code=K\""
            : shape == AlikeUrls
            ? i => $"\"{JsonRewritingBenchmarks.Origin}/runtime/webhooks/durabletask/instances/{new string('i', 36)}?taskHub=Hub&connection=Storage&code=0123456789ABCDEF0123456789ABCDEF&p={new string('p', 20)}{i % SealBudget:D2}\""
            : i => $$"""{"statusQueryGetUri":"{{JsonRewritingBenchmarks.Origin}}/runtime/webhooks/durabletask/instances/{{i % SealBudget:D32}}?taskHub=Hub&connection=Storage&code=0123456789ABCDEF0123456789ABCDEF"}""");
        var urls = Encoding.UTF8.GetString(body).Split("/runtime/webhooks/durabletask/").Length - 1;
        return urls == UrlBudget ? body : throw new InvalidOperationException($"{urls} URLs fit in 64 KiB, not {UrlBudget}.");
    }

    /// <summary>Plain JSON (orders, no management URL) of exactly <paramref name="length"/> bytes.</summary>
    public static byte[] PlainBody(int length)
    {
        var items = JsonRewritingBenchmarks.Fill(int.MaxValue, i => $$"""{"id":"order-{{i:D6}}","status":"shipped","customer":"customer-{{i % 977:D4}}"}""");
        var json = new StringBuilder(Encoding.UTF8.GetString(items, 0, items.Length - 1)[..(length - 9)]);
        var cut = json.ToString().LastIndexOf(",{", StringComparison.Ordinal);
        json.Length = cut;
        json.Append(",\"").Append('x', length - cut - 4).Append("\"]");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
