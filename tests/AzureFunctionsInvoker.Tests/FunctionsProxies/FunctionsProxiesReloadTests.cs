using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>Edits of the file while the app runs: applied to the requests after them, or refused keeping the proxies before.</summary>
public sealed class FunctionsProxiesReloadTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    private static string Mocks(params (string Name, string Route, string Body)[] proxies) =>
        "{ \"proxies\": {\n" + string.Join(",\n", proxies.Select(p =>
            $"\"{p.Name}\": {{ \"matchCondition\": {{ \"route\": \"{p.Route}\" }}, \"responseOverrides\": {{ \"response.body\": \"{p.Body}\" }} }}")) + "\n} }";

    [Fact]
    public async Task An_edit_adds_changes_and_removes_proxies_while_requests_flow()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Mocks(("kept", "/kept", "v1"), ("gone", "/gone", "here"))).StartAsync();
        using var flowing = new CancellationTokenSource();
        var failures = 0;
        var flow = Task.Run(async () =>
        {
            while (!flowing.IsCancellationRequested)
            {
                using var response = await proxies.Caller.GetAsync("/kept");
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK || body is not ("v1" or "v2"))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        await proxies.WriteProxiesFileAsync(Mocks(("kept", "/kept", "v2"), ("added", "/added/{x}", "new {x}")));

        await Eventually.HoldsAsync(() => Body(proxies, "/added/1") == "new 1", s_bound, "the added proxy answers");
        Assert.Equal("v2", Body(proxies, "/kept"));
        using (var gone = await proxies.Caller.GetAsync("/gone"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await flowing.CancelAsync();
        await flow;
        Assert.Equal(0, failures);
        Assert.Contains(proxies.Logs.Entries, e => e.EventId.Name == "ProxiesReloaded");
    }

    [Fact]
    public async Task An_invalid_edit_keeps_the_proxies_before_and_logs_where_it_fails()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(Mocks(("kept", "/kept", "v1"))).StartAsync();

        await proxies.WriteProxiesFileAsync("{ \"proxies\": {\n \"kept\": { \"matchCondition\": { \"route\": \"/kept\" } },\n \"bad\": {\n \"matchCondition\": { \"route\": \"/bad\" },\n \"backendUri\": \"https://{request.headers.Host}/\" } } }");

        await proxies.Logs.WaitForAsync("ProxiesReloadRejected", s_bound);
        var error = proxies.Logs.Entries.First(e => e.EventId.Name == "ProxiesReloadRejected");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.Contains("proxies.json", error.Text, StringComparison.Ordinal);
        Assert.Contains("proxy 'bad'", error.Text, StringComparison.Ordinal);
        Assert.Contains("backendUri (line 5)", error.Text, StringComparison.Ordinal);
        Assert.Equal("v1", Body(proxies, "/kept"));
    }

    private static string Body(ProxyTestHost proxies, string path)
    {
        using var response = proxies.Caller.GetAsync(path).GetAwaiter().GetResult();
        return response.StatusCode == HttpStatusCode.OK ? response.Content.ReadAsStringAsync().GetAwaiter().GetResult() : $"({(int)response.StatusCode})";
    }
}
