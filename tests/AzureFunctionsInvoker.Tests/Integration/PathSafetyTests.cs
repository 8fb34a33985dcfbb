using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>No path a caller sends reaches anything beside the function's route (the Function App's /admin API sits next to /api).</summary>
public sealed class PathSafetyTests
{
    [Theory]
    [InlineData("/mytest/x/%2e%2e")]
    [InlineData("/mytest/%2e")]
    [InlineData("/mytest/x/%252e%252e/%252e%252e/admin")]
    [InlineData("/mytest/x/%25252e%25252e/admin")]
    [InlineData("/mytest/..%2F..%2Fadmin")]
    [InlineData("/mytest/..%2f..%2fadmin")]
    [InlineData("/mytest/x%2F..%2F..%2Fadmin")]
    [InlineData("/mytest/..%252F..%252Fadmin")]
    [InlineData("/mytest/..%5C..%5Cadmin")]
    [InlineData("/mytest/..%5c..%5cadmin")]
    [InlineData("/mytest/a%5Cb")]
    [InlineData("/mytest/a%255Cb")]
    [InlineData("/mytest/%C0%AE%C0%AE/admin")]
    [InlineData("/mytest/%c0%ae%c0%ae%c0%af")]
    [InlineData("/mytest/%E0%80%AE%E0%80%AE/admin")]
    [InlineData("/mytest/x%00/admin")]
    [InlineData("/mytest/%2500")]
    [InlineData("/mytest/a%0Ab")]
    [InlineData("/mytest/x/..%2F;/admin")]
    public async Task Refuses_paths_that_could_leave_the_route_and_never_sends_them(string path)
    {
        await using var env = await ProxyEnvironment.StartAsync("echo");

        using var response = await env.SendRawPathAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("/mytest/../admin")]
    [InlineData("/mytest/x/../../admin")]
    [InlineData("/mytest/%2e%2e/admin")]
    [InlineData("/mytest/./../admin")]
    [InlineData("/mytest/a\\..\\..\\admin")]
    [InlineData("/mytest/x/%2E%2E/%2e%2e/admin")]
    [InlineData("/mytest/x/.%2e/.%2E/admin")]
    public async Task Paths_the_server_resolves_outside_the_mount_never_reach_the_function(string path)
    {
        await using var env = await ProxyEnvironment.StartAsync("echo");

        var raw = await RawHttp.SendAsync(env.ProxyPort, $"GET {path} HTTP/1.1\nHost: proxy.example");

        Assert.True(raw.StartsWith("HTTP/1.1 400", StringComparison.Ordinal) || raw.Contains("pipeline", StringComparison.Ordinal), raw);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task The_refusal_is_a_small_problem_body_without_the_path_or_key()
    {
        await using var env = await ProxyEnvironment.StartAsync("echo");

        using var response = await env.SendRawPathAsync(HttpMethod.Get, "/mytest/x/%252e%252e/%252e%252e/admin/host/keys?code=x");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":400", body, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", body, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Function.Key, body, StringComparison.Ordinal);
    }
}
