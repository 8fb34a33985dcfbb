using System.Net;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Xunit.Abstractions;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>The sample as a user runs it: on its own, then pointed at a Function App through configuration.</summary>
public sealed class SampleTests(ITestOutputHelper output)
{
    private const long FiftyMiB = 50L * 1024 * 1024;
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task With_no_function_app_configured_the_sample_answers_the_plugins_demonstration()
    {
        await using var sample = await SampleProcess.StartAsync();

        var answer = await sample.Client.GetStringAsync("/mytest?name=Kong");

        Assert.Equal("Hello Kong!", answer);
    }

    [Fact]
    public async Task The_demo_orchestration_runs_until_its_event_is_raised_then_completes_through_links_that_never_show_a_key()
    {
        // The sequence docs/durable-functions.md shows, request by request.
        await using var sample = await SampleProcess.StartAsync();
        var answers = new List<string>();

        using var start = await SendAsync(sample, HttpMethod.Post, "/mytest/orchestrations/hello?name=Durable", answers);
        var links = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        var status = links.GetProperty("statusQueryGetUri").GetString()!;
        var greeted = links.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "greeted", StringComparison.Ordinal);
        var terminate = links.GetProperty("terminatePostUri").GetString()!.Replace("{text}", "late", StringComparison.Ordinal);
        using var running = await SendAsync(sample, HttpMethod.Get, status, answers);
        using var raised = await SendAsync(sample, HttpMethod.Post, greeted, answers);
        using var completed = await SendAsync(sample, HttpMethod.Get, status, answers);
        using var raisedAgain = await SendAsync(sample, HttpMethod.Post, greeted, answers);
        using var terminated = await SendAsync(sample, HttpMethod.Post, terminate, answers);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.StartsWith($"{sample.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)}/mytest/_durable/", start.Headers.Location?.ToString(), StringComparison.Ordinal);
        Assert.StartsWith($"{sample.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)}/mytest/_durable/", status, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Equal(("Running", JsonValueKind.Null, 0), Read(await running.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var done = JsonDocument.Parse(await completed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Completed", done.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Hello Durable!", done.GetProperty("output").GetString());
        Assert.Equal(["greeted"], done.GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        // As Durable Functions answers for an instance that has ended.
        Assert.Equal(HttpStatusCode.Gone, raisedAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, terminated.StatusCode);
        AssertNoKeyOrHost(answers);
    }

    [Fact]
    public async Task A_terminated_demo_orchestration_reports_its_reason_and_takes_no_more_events()
    {
        await using var sample = await SampleProcess.StartAsync();
        var answers = new List<string>();

        using var start = await SendAsync(sample, HttpMethod.Post, "/mytest/orchestrations/hello?name=Durable", answers);
        var links = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        using var terminated = await SendAsync(sample, HttpMethod.Post, links.GetProperty("terminatePostUri").GetString()!.Replace("{text}", "cancelled", StringComparison.Ordinal), answers);
        using var status = await SendAsync(sample, HttpMethod.Get, links.GetProperty("statusQueryGetUri").GetString()!, answers);
        using var raised = await SendAsync(sample, HttpMethod.Post, links.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "greeted", StringComparison.Ordinal), answers);

        Assert.Equal(HttpStatusCode.Accepted, terminated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var body = JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("Terminated", "cancelled"), (body.GetProperty("runtimeStatus").GetString(), body.GetProperty("output").GetString()));
        Assert.Equal(HttpStatusCode.Gone, raised.StatusCode);
        AssertNoKeyOrHost(answers);
    }

    [Fact]
    public async Task The_sample_reads_its_function_from_the_AzureFunctions_configuration_section()
    {
        await using var function = await StandInFunction.StartAsync();
        await using var sample = await SampleProcess.StartAsync(SampleProcess.Forwarding(function, functionName: "echo"));

        using var response = await sample.Client.GetAsync("/mytest/and/then?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo/and/then?x=1", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task A_function_with_Backends_and_no_AppName_goes_to_its_backends_not_to_the_demo()
    {
        await using var down = await StandInRegion.StartAsync("A");
        await using var up = await StandInRegion.StartAsync("B");
        await down.StopAsync();
        var environment = new Dictionary<string, string> { ["AzureFunctions__Hello__HostDomain"] = string.Empty, ["AzureFunctions__Hello__Https"] = "false" };
        foreach (var (region, i) in new[] { (down, 0), (up, 1) })
        {
            environment[$"AzureFunctions__Hello__Backends__{i}__AppName"] = "127.0.0.1";
            environment[$"AzureFunctions__Hello__Backends__{i}__Port"] = region.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment[$"AzureFunctions__Hello__Backends__{i}__ApiKey"] = region.Key;
            environment[$"AzureFunctions__Hello__Backends__{i}__Priority"] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var sample = await SampleProcess.StartAsync(environment);
        using var response = await sample.Client.GetAsync(new Uri("/mytest?name=Kong", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("B", await response.Content.ReadAsStringAsync());
        Assert.Equal("B", StandInRegion.AnsweredBy(response));
    }

    [Fact]
    public async Task The_demo_orders_function_answers_only_callers_with_the_api_key()
    {
        await using var sample = await SampleProcess.StartAsync();
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/orders/42");
        withKey.Headers.Add("X-Api-Key", "demo-orders-key");

        using var anonymous = await sample.Client.GetAsync("/orders/42");
        using var authorized = await sample.Client.SendAsync(withKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal("Order 42: shipped.", await authorized.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_sample_keeps_the_callers_api_key_for_orders_from_the_function()
    {
        await using var function = await StandInFunction.StartAsync();
        await using var sample = await SampleProcess.StartAsync(SampleProcess.Forwarding(function, functionName: "echo", name: "Orders"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/42");
        request.Headers.Add("X-Api-Key", "demo-orders-key");

        using var response = await sample.Client.SendAsync(request);
        var echo = await Echo.ReadAsync(response);

        Assert.Equal("/api/echo/42", echo.Target);
        Assert.False(echo.Headers.ContainsKey("X-Api-Key"));
    }

    [Fact]
    public async Task The_sample_rate_limits_mytest_per_client_and_reports_its_functions_health()
    {
        await using var sample = await SampleProcess.StartAsync(new Dictionary<string, string> { ["RateLimit__PermitLimit"] = "1", ["RateLimit__WindowSeconds"] = "3600" });

        using var first = await sample.Client.GetAsync("/mytest?name=Kong");
        using var second = await sample.Client.GetAsync("/mytest?name=Kong");
        using var health = await sample.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_setting_turns_on_opentelemetry_console_export_of_the_proxys_traces_and_metrics()
    {
        await using var sample = await SampleProcess.StartAsync(new Dictionary<string, string> { ["Telemetry__ConsoleExporter"] = "true" });

        Assert.Equal("Hello Kong!", await sample.Client.GetStringAsync("/mytest?name=Kong"));

        // The console exporter prints the forward's span with its tags; no log line holds this.
        await sample.WaitForOutputAsync("faas.invoked_name: hello", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_demo_shop_answers_each_listed_function_with_its_name_and_any_other_with_404()
    {
        await using var sample = await SampleProcess.StartAsync();

        var orders = await sample.Client.GetStringAsync("/shop/orders/42");
        var invoices = await sample.Client.GetStringAsync("/shop/Invoices");
        using var refunds = await sample.Client.GetAsync("/shop/refunds/1");

        Assert.Equal("The shop's 'orders' function answered for '42'.", orders);
        Assert.Equal("The shop's 'invoices' function answered.", invoices);
        Assert.Equal(HttpStatusCode.NotFound, refunds.StatusCode);
    }

    [Fact]
    public async Task The_sample_reads_the_shops_app_and_further_functions_from_the_environment()
    {
        await using var function = await StandInFunction.StartAsync();
        var environment = SampleProcess.Forwarding(function, functionName: string.Empty, name: "Shop");
        environment["AzureFunctions__Shop__Functions__echo__ClientId"] = "shop-echo";
        await using var sample = await SampleProcess.StartAsync(environment);

        using var response = await sample.Client.GetAsync("/shop/echo/a?b=c");
        using var orders = await sample.Client.GetAsync("/shop/orders/42");

        var echo = await Echo.ReadAsync(response);
        Assert.Equal("/api/echo/a?b=c", echo.Target);
        Assert.Equal(["shop-echo"], echo.Headers["x-functions-clientid"]);

        // orders, listed in appsettings.json, reaches the app too (the stand-in has no such function).
        Assert.Equal(HttpStatusCode.NotFound, orders.StatusCode);
        Assert.Equal(["/api/echo/a?b=c", "/api/orders/42"], function.ReceivedTargets);
    }

    [Fact]
    public async Task The_proxy_process_stays_flat_in_memory_through_50_MiB_each_way()
    {
        await using var function = await StandInFunction.StartAsync();
        // RoutePrefix "" and FunctionName "api" put every stand-in function behind the one mount point.
        await using var sample = await SampleProcess.StartAsync(SampleProcess.Forwarding(function, functionName: "api", routePrefix: ""));
        using (await sample.Client.GetAsync("/mytest/download/1024"))
        {
        }

        var before = sample.ReadMemory("VmRSS");

        using var upload = new StreamContent(Pattern.Stream(FiftyMiB));
        upload.Headers.ContentLength = FiftyMiB;
        using var uploaded = await sample.Client.PostAsync("/mytest/echo", upload);
        Assert.Equal(Pattern.Sha256(FiftyMiB), (await Echo.ReadAsync(uploaded)).BodySha256);

        using var downloaded = await sample.Client.GetAsync($"/mytest/download/{FiftyMiB}", HttpCompletionOption.ResponseHeadersRead);
        var (length, sha256) = await HashAsync(await downloaded.Content.ReadAsStreamAsync());
        Assert.Equal((FiftyMiB, Pattern.Sha256(FiftyMiB)), (length, sha256));

        var peak = sample.ReadMemory("VmHWM");
        output.WriteLine($"proxy RSS before: {before / MiB} MiB, peak during 50 MiB up + 50 MiB down: {peak / MiB} MiB, growth: {(peak - before) / MiB} MiB");
        Assert.True(peak - before < 32 * MiB, $"peak RSS grew by {(peak - before) / MiB} MiB");
    }

    // Sends as the docs' curl does (an event's body '{}'), keeping each answer's headers and body to check for keys.
    private static async Task<HttpResponseMessage> SendAsync(SampleProcess sample, HttpMethod method, string uri, List<string> answers)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = method == HttpMethod.Post ? new StringContent("{}") : null };
        var response = await sample.Client.SendAsync(request);
        answers.Add(response.Headers.ToString());
        answers.Add(await response.Content.ReadAsStringAsync());
        return response;
    }

    private static (string? Status, JsonValueKind Output, int Events) Read(string status)
    {
        var body = JsonDocument.Parse(status).RootElement;
        return (body.GetProperty("runtimeStatus").GetString(), body.GetProperty("output").ValueKind, body.GetProperty("events").GetArrayLength());
    }

    private static void AssertNoKeyOrHost(List<string> answers) => Assert.All(answers, answer =>
    {
        Assert.DoesNotContain("code=", answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("taskHub", answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("runtime/webhooks", answer, StringComparison.OrdinalIgnoreCase);
    });
}
