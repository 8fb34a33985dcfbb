using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The cost of a JSON body through the library: plain JSON of 64 KiB (passed untouched), a "list my orchestrations"
/// answer of 33 instances (eight management URLs each, about 57 KiB, rewritten), and the adversarial body of issue 19 (a
/// management URL of its own instance in every string, as many as fit), which the rewriting budget refuses.
/// </summary>
[MemoryDiagnoser]
public class JsonRewritingBenchmarks
{
    internal const string Origin = "https://app.azurewebsites.net";

    private readonly DiscardStream _responseBody = new();
    private ServiceProvider _services = null!;
    private RequestDelegate _library = null!;

    [Params("plain JSON", "instance list", "URL flood")]
    public string Body { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var body = Body switch
        {
            "plain JSON" => PlainJson(),
            "instance list" => InstanceList(),
            _ => UrlFlood(),
        };
        (_services, _library) = LibraryPipeline.Build(new JsonFunction(body));
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public Task Forward() => _library(Scenario.JsonGet.CreateContext(_services, _responseBody));

    /// <summary>64 KiB of orders, ASCII string values.</summary>
    public static byte[] PlainJson() => Fill(int.MaxValue, i => $$"""{"id":"order-{{i:D6}}","status":"shipped","customer":"customer-{{i % 977:D4}}","note":"nothing to see here at all"}""");

    /// <summary>A page of 33 instances as <c>CreateHttpManagementPayload</c> writes them, eight URLs each (264, within the budget of 300).</summary>
    public static byte[] InstanceList() => Fill(33, i =>
    {
        var instance = $"{Origin}/runtime/webhooks/durabletask/instances/{i:D32}";
        const string hidden = "taskHub=Hub&connection=Storage&code=0123456789ABCDEF0123456789ABCDEF";
        return $$"""{"id":"{{i:D32}}","statusQueryGetUri":"{{instance}}?{{hidden}}","sendEventPostUri":"{{instance}}/raiseEvent/{eventName}?{{hidden}}","terminatePostUri":"{{instance}}/terminate?reason={text}&{{hidden}}","rewindPostUri":"{{instance}}/rewind?reason={text}&{{hidden}}","purgeHistoryDeleteUri":"{{instance}}?{{hidden}}","restartPostUri":"{{instance}}/restart?{{hidden}}","suspendPostUri":"{{instance}}/suspend?reason={text}&{{hidden}}","resumePostUri":"{{instance}}/resume?reason={text}&{{hidden}}"}""";
    });

    /// <summary>The shortest management URLs, each of another instance, as many as fit in 64 KiB.</summary>
    public static byte[] UrlFlood() => Fill(int.MaxValue, i => $"\"{Origin}/runtime/webhooks/durabletask/instances/{i}?code=K\"");

    /// <summary>A JSON list of items up to 64 KiB, or <paramref name="maxItems"/> of them.</summary>
    public static byte[] Fill(int maxItems, Func<int, string> item)
    {
        var json = new StringBuilder("[");
        for (var i = 0; ; i++)
        {
            var next = item(i);
            if (i == maxItems || json.Length + next.Length + 2 > 64 * 1024)
            {
                return Encoding.UTF8.GetBytes(json.Append(']').ToString());
            }

            json.Append(i == 0 ? string.Empty : ",").Append(next);
        }
    }
}
