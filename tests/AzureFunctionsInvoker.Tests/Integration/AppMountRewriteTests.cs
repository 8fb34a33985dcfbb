using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Rewriting under an app mount (<c>/shop/{function}/{**rest}</c>): a response is rewritten for the function that was
/// called, its route on the host and its name under the mount, and its Durable links go back to it.
/// </summary>
public sealed class AppMountRewriteTests
{
    [Fact]
    public async Task A_redirect_and_a_cookie_of_the_called_function_come_back_under_its_name_in_the_mount()
    {
        await using var env = await StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = $"{env.Function.Origin}/api/answer/login?x=1";
            context.Response.Headers.ContentLocation = "/api/orchestrators/other";
            context.Response.Headers.SetCookie = "a=1; Domain=127.0.0.1; Path=/api/answer/cart";
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync(new Uri("/shop/ANSWER/anything", UriKind.Relative));

        Assert.Equal($"http://127.0.0.1:{env.Port}/shop/answer/login?x=1", response.Headers.Location!.OriginalString);
        Assert.Equal("/api/orchestrators/other", response.Content.Headers.ContentLocation!.OriginalString); // another function's route
        Assert.Equal(["a=1; Path=/shop/answer/cart"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task A_durable_walk_under_an_app_mount_goes_through_the_called_functions_links()
    {
        await using var env = await StartAsync();

        using var start = await env.Caller.PostAsync(new Uri("/shop/orchestrators/hello", UriKind.Relative), null);
        var status = start.Headers.Location!.OriginalString;
        using var running = await env.Caller.GetAsync(new Uri(status));
        using var elsewhere = await env.Caller.GetAsync(new Uri(status.Replace("/shop/orchestrators/", "/shop/refunds/", StringComparison.Ordinal)));

        Assert.StartsWith($"http://127.0.0.1:{env.Port}/shop/orchestrators/_durable/", status, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Function.SystemKey, await start.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.StartsWith($"http://127.0.0.1:{env.Port}/shop/orchestrators/_durable/", running.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode); // not a function of the mount
        Assert.Single(env.Function.DurableTargets);
    }

    private static Task<ProxyTestHost> StartAsync() =>
        new ProxyHostBuilder()
            .AddAppMount(f => AppMountTests.Shop(f, f.Key, new() { ["answer"] = new { }, ["orchestrators"] = new { } }))
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/shop/{function}/{**rest}", ProxyHostBuilder.AppMountName))
            .StartAsync();
}
