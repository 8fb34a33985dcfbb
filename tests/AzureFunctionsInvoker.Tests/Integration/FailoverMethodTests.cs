using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Every read without a body is safe to send again: a HEAD or an OPTIONS answered with a failure status fails over
/// as a GET does, while a method that may change something does not.
/// </summary>
public sealed class FailoverMethodTests
{
    [Theory]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("GET")]
    public async Task A_read_without_a_body_answered_503_goes_to_the_next_backend(string method)
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/hello")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("B", StandInRegion.AnsweredBy(response));
        Assert.Equal([method], env.Regions[0].Requests.Select(r => r.Method));
        Assert.Equal([method], env.Regions[1].Requests.Select(r => r.Method));
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task A_method_that_may_change_something_answered_503_is_not_sent_again(string method)
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(2)
            .WithClock()
            .MountBackends(new Dictionary<string, string?> { ["Backends:1:Priority"] = "2" })
            .StartAsync();
        env.Regions[0].AnswerWith(StatusCodes.Status503ServiceUnavailable);

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/hello")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("A", StandInRegion.AnsweredBy(response));
        Assert.Empty(env.Regions[1].Requests);
    }
}
