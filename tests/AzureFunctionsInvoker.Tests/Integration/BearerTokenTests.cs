using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary><c>AddAzureFunctionBearerToken</c>: the provider's token on every forward, for Function Apps behind App Service Authentication.</summary>
public sealed class BearerTokenTests
{
    [Fact]
    public async Task The_function_gets_the_providers_token_in_place_of_the_callers_and_the_token_is_never_logged()
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var provider = new FakeTokenProvider(token);
        var env = await new ProxyHostBuilder().MountFunction("echo").ConfigureServices(WithBearerToken(provider)).StartAsync();
        StandInFunction.Echo withCallersOwn, without;
        await using (env)
        {
            env.Logs.Watch(token);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest") { Content = new StringContent("body") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "the-callers-token");
            using var first = await env.Caller.SendAsync(request);
            withCallersOwn = await StandInFunction.Echo.ReadAsync(first);
            using var second = await env.Caller.GetAsync("/mytest");
            without = await StandInFunction.Echo.ReadAsync(second);
        }

        Assert.Equal([$"Bearer {token}"], withCallersOwn.Headers["Authorization"]);
        Assert.Equal([$"Bearer {token}"], without.Headers["Authorization"]);
        Assert.Equal(4, withCallersOwn.BodyLength);
        Assert.Equal(2, provider.Calls);
        env.Logs.AssertNeverLogged(token);
    }

    [Fact]
    public async Task A_provider_that_fails_gets_the_caller_a_502_and_nothing_reaches_the_function()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigureServices(WithBearerToken(new FakeTokenProvider(null)))
            .StartAsync();

        using var response = await env.Caller.PostAsync("/mytest", new StringContent("body"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(FakeTokenProvider.FailureMessage, body, StringComparison.Ordinal);
        Assert.Empty(env.Function.ReceivedTargets);
        Assert.Contains(FakeTokenProvider.FailureMessage, env.Logs.AllText, StringComparison.Ordinal);
    }

    // The provider instance is registered first, so AddAzureFunctionBearerToken uses it rather than making its own.
    private static Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder> WithBearerToken(FakeTokenProvider provider) => builder =>
    {
        builder.Services.AddSingleton(provider);
        builder.Services.AddAzureFunctionProxy().AddAzureFunctionBearerToken<FakeTokenProvider>();
    };
}
