using System.Net;
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
    public async Task The_sample_reads_its_function_from_the_AzureFunction_configuration_section()
    {
        await using var function = await StandInFunction.StartAsync();
        await using var sample = await SampleProcess.StartAsync(SampleProcess.Forwarding(function, functionName: "echo"));

        using var response = await sample.Client.GetAsync("/mytest/and/then?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo/and/then?x=1", (await Echo.ReadAsync(response)).Target);
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
}
