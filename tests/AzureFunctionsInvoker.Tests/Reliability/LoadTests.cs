using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>Many callers at once: each gets its own answer, never another caller's.</summary>
[Collection(AloneCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Callers = 1000;

    [Fact]
    public async Task A_thousand_concurrent_callers_with_unique_payloads_each_get_their_own_answer()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("mirror").StartAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, Callers).Select(async caller =>
        {
            var payload = UniquePayload(caller);
            await start.Task;
            using var response = await env.Caller.PostAsync($"/mytest/{caller}", new ByteArrayContent(payload));
            return (caller, payload, response.StatusCode, Answer: await response.Content.ReadAsByteArrayAsync());
        }).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        start.SetResult();
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"{Callers} concurrent requests in {clock.ElapsedMilliseconds} ms");

        Assert.All(results, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.True(r.payload.AsSpan().SequenceEqual(r.Answer), $"caller {r.caller} got an answer that is not its own");
        });
        Assert.Equal(
            Enumerable.Range(0, Callers).Select(c => $"/api/mirror/{c}").Order(StringComparer.Ordinal),
            env.Function.ReceivedTargets.Order(StringComparer.Ordinal));
    }

    // Different lengths (0 to 16 KiB) and different bytes for every caller, its number first.
    private static byte[] UniquePayload(int caller)
    {
        var payload = new byte[(caller * 7919) % (16 * 1024)];
        new Random(caller).NextBytes(payload);
        BitConverter.TryWriteBytes(payload, caller);
        return payload;
    }
}
