using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A function mounted at the root of the app (<c>MapAzureFunctionProxy("/{**rest}", ...)</c>): the mount's path is
/// empty, and what pointed at the function's route itself must still come back as a path, <c>/</c>, never an empty one.
/// </summary>
public sealed class RootMountRewriteTests
{
    private static readonly Dictionary<string, string> s_answer = new() { ["Answer"] = "answer" };

    [Fact]
    public async Task A_cookie_path_on_the_functions_route_becomes_the_root_and_below_it_the_same_path_from_the_root()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_answer)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/{**rest}", "Answer"))
            .StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.Headers.Append("Set-Cookie", "a=1; Path=/api/answer; HttpOnly");
            context.Response.Headers.Append("Set-Cookie", "b=2; Path=/api/answer/cart");
            context.Response.Headers.Append("Set-Cookie", "c=3; Path=/api/answer/");
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync(new Uri("/anything", UriKind.Relative));

        Assert.Equal(["a=1; Path=/; HttpOnly", "b=2; Path=/cart", "c=3; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task A_location_on_the_functions_route_becomes_the_root()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_answer)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/{**rest}", "Answer"))
            .StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = "/api/answer";
            context.Response.Headers.ContentLocation = $"{env.Function.Origin}/api/answer";
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync(new Uri("/anything", UriKind.Relative));

        Assert.Equal("/", response.Headers.Location!.OriginalString);
        Assert.Equal($"{env.Caller.BaseAddress!.GetLeftPart(UriPartial.Authority)}", response.Content.Headers.ContentLocation!.OriginalString);
    }
}
