using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Paths under <c>{mount}/{DurableLinksPath}/</c> never reach the function, however a caller spells the links segment:
/// its first segment is judged as an app mount judges a function name (decoded, case-folded, <c>;</c> parameters and
/// dot spellings refused). Each spelling is a link request or a 404, and the function's route sees none of them.
/// </summary>
public sealed class DurableLinkSpellingTests
{
    [Theory]
    [InlineData("/mytest/%5Fdurable/{token}")]
    [InlineData("/mytest/_durabl%65/{token}")]
    [InlineData("/mytest/%5fDURABLE/{token}")]
    [InlineData("/mytest/%255Fdurable/{token}")]
    [InlineData("/mytest//_durable/{token}")]
    [InlineData("/mytest///_durable/{token}")]
    [InlineData("/mytest/_durable;x/{token}")]
    [InlineData("/mytest/_durable;/{token}")]
    [InlineData("/mytest/_durable./{token}")]
    [InlineData("/mytest/_durable%20/{token}")]
    [InlineData("/mytest/_durable%2F{token}")]
    [InlineData("/mytest/%EF%BC%BFdurable/{token}")] // fullwidth low line, NFKC-folded to '_'
    [InlineData("/mytest/_durable")]
    [InlineData("/mytest/_durable/")]
    [InlineData("/mytest/_DURABLE")]
    public async Task A_spelling_of_the_links_segment_never_reaches_the_function(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        using var start = await env.Caller.PostAsync("/mytest/hello", null);
        var status = start.Headers.Location!.OriginalString;
        var token = status[(status.LastIndexOf('/') + 1)..];
        var before = ToFunctionsRoute(env);

        using var response = await env.SendRawPathAsync(HttpMethod.Get, template.Replace("{token}", token, StringComparison.Ordinal));

        Assert.Equal(before, ToFunctionsRoute(env));
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Accepted });
    }

    [Theory]
    [InlineData("/mytest/_durablex/y")]
    [InlineData("/mytest/durable/y")]
    [InlineData("/mytest/x/_durable/y")]
    public async Task Other_paths_still_reach_the_function(string path)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("orchestrators").StartAsync();
        var before = ToFunctionsRoute(env);

        using var response = await env.SendRawPathAsync(HttpMethod.Get, path);

        Assert.Equal(before + 1, ToFunctionsRoute(env));
    }

    private static int ToFunctionsRoute(ProxyTestHost env) => env.Function.ReceivedTargets.Count(t => t.StartsWith("/api/", StringComparison.Ordinal));
}
