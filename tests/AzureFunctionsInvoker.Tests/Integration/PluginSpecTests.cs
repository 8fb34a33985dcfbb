using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using static AzureFunctionsInvoker.Tests.Infrastructure.StandInFunction;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>The scenarios of the Kong plugin's own access spec, run against the middleware over real sockets.</summary>
public sealed class PluginSpecTests
{
    [Fact]
    public async Task Passes_query_arguments()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest?hello=world&and=bye");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo?hello=world&and=bye", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task Passes_a_body_on_a_get()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        var body = "I'll be there"u8.ToArray();

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/mytest") { Content = new ByteArrayContent(body) });

        var echo = await Echo.ReadAsync(response);
        Assert.Equal("GET", echo.Method);
        Assert.Equal(body.Length, echo.BodyLength);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body)), echo.BodySha256);
    }

    [Fact]
    public async Task Appends_the_path_below_the_mount_point()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest/and/then/some");

        Assert.Equal("/api/echo/and/then/some", (await Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task Passes_the_method()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.Caller.PostAsync("/mytest", new StringContent("x"));

        Assert.Equal("POST", (await Echo.ReadAsync(response)).Method);
    }

    [Fact]
    public async Task Passes_a_custom_header()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mytest");
        request.Headers.Add("Just-A-Header", "just a value");

        using var response = await env.Caller.SendAsync(request);

        Assert.Equal(["just a value"], (await Echo.ReadAsync(response)).Headers["Just-A-Header"]);
    }

    [Fact]
    public async Task Injects_the_apikey_and_clientid()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.ClientId = "my-client").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await Echo.ReadAsync(response);
        Assert.Equal([env.Function.Key], echo.Headers["x-functions-key"]);
        Assert.Equal(["my-client"], echo.Headers["x-functions-clientid"]);
    }

    [Fact]
    public async Task Returns_the_response_content_length()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("download").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest/12345");

        Assert.Equal(12345, response.Content.Headers.ContentLength);
        Assert.Equal(12345, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Without_the_right_key_the_function_answers_401()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.ApiKey = "wrong-key").StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
