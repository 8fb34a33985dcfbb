using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A function's same-host redirect never becomes a reference to another host once rewritten, whatever the mount: at a
/// root mount (<c>/{**rest}</c>) the function's <c>/api/answer//evil.example</c> (a "strip the trailing slash" redirect
/// of a request for <c>//evil.example/</c>) would come back as the scheme-relative <c>//evil.example</c>, and
/// <c>/api/answer/\evil.example</c> as <c>/\evil.example</c>, which browsers read the same way.
/// </summary>
public sealed class RootMountRedirectTests
{
    [Theory]
    [InlineData("/{**rest}", "/api/answer//evil.example/x?y=1", "/%2Fevil.example/x?y=1")]
    [InlineData("/{**rest}", "/api/answer/\\evil.example", "/%5Cevil.example")]
    [InlineData("/{**rest}", "/api/answer//\\evil.example", "/%2F\\evil.example")]
    [InlineData("/{**rest}", "/api/answer/\\/evil.example", "/%5C/evil.example")]
    [InlineData("/{**rest}", "/api/answer/", "/")]
    [InlineData("/{**rest}", "/api/answer/a//b", "/a//b")]
    [InlineData("/mount/{**rest}", "/api/answer//evil.example", "/mount//evil.example")]
    public async Task A_rewritten_location_is_never_scheme_relative_nor_a_backslash_reference(string pattern, string location, string expected)
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Root"] = "answer" })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy(pattern, "Root"))
            .StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
            context.Response.Headers.Location = location;
            context.Response.Headers.ContentLocation = location;
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync(pattern.StartsWith("/mount", StringComparison.Ordinal) ? "/mount/x" : "/x");

        Assert.Equal(expected, response.Headers.Location!.OriginalString);
        Assert.Equal(expected, response.Content.Headers.ContentLocation!.OriginalString);
        Assert.False(IsOtherHost(response.Headers.Location!.OriginalString));
    }

    [Theory]
    [InlineData("{origin}/api/answer//evil.example", "{proxy}//evil.example")]
    [InlineData("{origin}/api/answer/\\evil.example", "{proxy}/\\evil.example")]
    public async Task An_absolute_location_keeps_the_callers_host_in_front(string location, string expected)
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Root"] = "answer" })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/{**rest}", "Root"))
            .StartAsync();
        var proxy = env.Caller.BaseAddress!.GetLeftPart(UriPartial.Authority);
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = location.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal);
            return Task.CompletedTask;
        };

        using var response = await env.Caller.GetAsync("/x");

        Assert.Equal(expected.Replace("{proxy}", proxy, StringComparison.Ordinal), response.Headers.Location!.OriginalString);
        Assert.Equal(new Uri(proxy).Authority, new Uri(new Uri(proxy), response.Headers.Location!.OriginalString).Authority);
    }

    // What a browser would resolve to another host: "//host", "/\host", "\\host", "\/host".
    private static bool IsOtherHost(string reference) =>
        reference.Length >= 2 && reference[0] is '/' or '\\' && reference[1] is '/' or '\\';
}
