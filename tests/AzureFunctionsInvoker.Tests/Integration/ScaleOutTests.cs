using System.Net;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Two instances of the sample, as behind a load balancer, each with a home folder of its own (as on two machines,
/// so Data Protection's default key folder is not shared), with and without <c>ConnectionStrings:Redis</c> naming a
/// real <c>redis-server</c> the test starts: Durable links made by one instance work at the other only through the
/// shared key ring, and a cached answer of one is served by the other from the shared output cache.
/// </summary>
public sealed class ScaleOutTests
{
    [Fact]
    public async Task A_Durable_start_at_one_instance_is_followed_through_its_links_at_another_sharing_keys_in_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var function = await StandInFunction.StartAsync();
        await using var a = await StartInstanceAsync(function, "orchestrators", redis);
        await using var b = await StartInstanceAsync(function, "orchestrators", redis);

        using var started = await a.Client.PostAsync("/mytest/hello", new StringContent("{}"));
        using var links = JsonDocument.Parse(await started.Content.ReadAsStringAsync());
        var id = links.RootElement.GetProperty("id").GetString()!;
        var status = AtInstance(b, links.RootElement.GetProperty("statusQueryGetUri").GetString()!);
        var raise = AtInstance(b, links.RootElement.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "approve", StringComparison.Ordinal));

        using var running = await b.Client.GetAsync(status);
        using var raised = await b.Client.PostAsync(raise, new StringContent("\"approved at B\""));
        using var completed = await b.Client.GetAsync(status);

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Contains("\"runtimeStatus\":\"Completed\"", await completed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("\"approved at B\"", function.Instances[id].Output);

        // A second instance, terminated from B.
        using var second = await a.Client.PostAsync("/mytest/hello", new StringContent("{}"));
        using var secondLinks = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        var terminate = AtInstance(b, secondLinks.RootElement.GetProperty("terminatePostUri").GetString()!.Replace("{text}", "rolled", StringComparison.Ordinal));
        using var terminated = await b.Client.PostAsync(terminate, null);

        Assert.Equal(HttpStatusCode.Accepted, terminated.StatusCode);
        var secondInstance = function.Instances[secondLinks.RootElement.GetProperty("id").GetString()!];
        Assert.Equal(("Terminated", "rolled"), (secondInstance.Status, secondInstance.Reason));
        Assert.Equal(4, function.DurableTargets.Count);
    }

    [Fact]
    public async Task Without_shared_keys_a_link_made_at_one_instance_is_404_at_another_and_nothing_is_forwarded()
    {
        await using var function = await StandInFunction.StartAsync();
        await using var a = await StartInstanceAsync(function, "orchestrators", redis: null);
        await using var b = await StartInstanceAsync(function, "orchestrators", redis: null);

        using var started = await a.Client.PostAsync("/mytest/hello", new StringContent("{}"));
        using var links = JsonDocument.Parse(await started.Content.ReadAsStringAsync());
        var status = links.RootElement.GetProperty("statusQueryGetUri").GetString()!;
        var raise = links.RootElement.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "approve", StringComparison.Ordinal);
        var terminate = links.RootElement.GetProperty("terminatePostUri").GetString()!.Replace("{text}", "x", StringComparison.Ordinal);

        using var atB = await b.Client.GetAsync(AtInstance(b, status));
        using var raisedAtB = await b.Client.PostAsync(AtInstance(b, raise), new StringContent("{}"));
        using var terminatedAtB = await b.Client.PostAsync(AtInstance(b, terminate), null);
        using var atA = await a.Client.GetAsync(status);

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, atB.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, raisedAtB.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, terminatedAtB.StatusCode);

        // The link works where it was made; B sent the function nothing.
        Assert.Equal(HttpStatusCode.Accepted, atA.StatusCode);
        Assert.Single(function.DurableTargets);
    }

    [Fact]
    public async Task An_answer_cached_by_one_instance_is_served_by_another_from_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var function = await StandInFunction.StartAsync();
        await using var a = await StartInstanceAsync(function, "echo", redis);
        await using var b = await StartInstanceAsync(function, "echo", redis);

        // The cache key holds the Host, which a load balancer passes on as the caller sent it.
        using var fromA = await GetAsync(a, "/cached/item?name=Kong");
        using var fromB = await GetAsync(b, "/cached/item?name=Kong");
        using var otherQuery = await GetAsync(b, "/cached/item?name=Other");

        Assert.Equal(HttpStatusCode.OK, fromA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
        Assert.Equal(await fromA.Content.ReadAsStringAsync(), await fromB.Content.ReadAsStringAsync());
        Assert.Null(fromA.Headers.Age);
        Assert.NotNull(fromB.Headers.Age);
        Assert.Equal(["/api/echo/item?name=Kong", "/api/echo/item?name=Other"], function.ReceivedTargets);
    }

    [Fact]
    public async Task Without_Redis_the_sample_serves_cached_from_its_own_memory_on_the_second_call()
    {
        await using var sample = await SampleProcess.StartAsync();

        using var first = await sample.Client.GetAsync("/cached?name=Kong");
        using var second = await sample.Client.GetAsync("/cached?name=Kong");
        using var otherName = await sample.Client.GetAsync("/cached?name=Other");

        Assert.Equal("Hello Kong!", await first.Content.ReadAsStringAsync());
        Assert.Equal("Hello Kong!", await second.Content.ReadAsStringAsync());
        Assert.Equal("Hello Other!", await otherName.Content.ReadAsStringAsync());
        Assert.Null(first.Headers.Age);
        Assert.NotNull(second.Headers.Age);
        Assert.Null(otherName.Headers.Age);
    }

    private static async Task<HttpResponseMessage> GetAsync(SampleProcess instance, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "gateway.example";
        return await instance.Client.SendAsync(request);
    }

    // Hello at /mytest and /cached goes to the stand-in's functionName; each instance has its own home folder.
    private static Task<SampleProcess> StartInstanceAsync(StandInFunction function, string functionName, RedisServer? redis)
    {
        var environment = SampleProcess.Forwarding(function, functionName);
        environment["HOME"] = Directory.CreateTempSubdirectory("scaleout-home-").FullName;
        if (redis is not null)
        {
            environment["ConnectionStrings__Redis"] = redis.ConnectionString;
        }

        return SampleProcess.StartAsync(environment);
    }

    // The link's path and query, as a load balancer hands the request to whichever instance it picks.
    private static string AtInstance(SampleProcess instance, string link)
    {
        Assert.NotEqual(instance.Port, new Uri(link).Port);
        return new Uri(link).PathAndQuery;
    }
}
