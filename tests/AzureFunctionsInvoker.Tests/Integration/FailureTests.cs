using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// How failures are reported through the app's own configuration. The faults themselves, of the function and of
/// the caller, are in <c>Reliability/</c>.
/// </summary>
public sealed class FailureTests
{
    [Fact]
    public async Task The_apps_problem_details_service_writes_the_error_when_registered()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => o.Port = Loopback.ClosedPort())
            .ConfigureServices(builder => builder.Services.AddProblemDetails(p => p.CustomizeProblemDetails = c => c.ProblemDetails.Extensions["app"] = "mine"))
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"app\":\"mine\"", body, StringComparison.Ordinal);
        Assert.Contains("\"status\":502", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_that_resends_a_streamed_body_fails_loudly_instead_of_sending_it_empty()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigureServices(builder => builder.Services.AddAzureFunctionProxy().AddHttpMessageHandler(() => new SendTwiceHandler()))
            .StartAsync();

        using var withBody = await env.Caller.PostAsync("/mytest", new StringContent("streamed once"));
        using var withoutBody = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.InternalServerError, withBody.StatusCode);
        Assert.Contains("cannot be retried", env.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withoutBody.StatusCode);
    }

    private sealed class SendTwiceHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            (await base.SendAsync(request, cancellationToken)).Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
