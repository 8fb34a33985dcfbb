using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.AspNetCore.Builder;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary><c>RemoveRequestHeaders</c> and <c>RemoveResponseHeaders</c>, set in configuration and reloaded live.</summary>
public sealed class HeaderRemovalTests
{
    [Fact]
    public async Task Request_headers_named_in_configuration_never_reach_the_function_whatever_their_case()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "echo" })
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/orders/{**rest}", "orders"))
            .StartAsync();
        env.Reload("Functions:orders:RemoveRequestHeaders:0", "x-api-key");
        env.Reload("Functions:orders:RemoveRequestHeaders:1", "COOKIE");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/1");
        request.Headers.Add("X-Api-Key", "caller-secret");
        request.Headers.Add("Cookie", "session=abc");
        request.Headers.Add("X-Kept", "kept");

        using var response = await env.Caller.SendAsync(request);
        var echo = await StandInFunction.Echo.ReadAsync(response);

        Assert.False(echo.Headers.ContainsKey("X-Api-Key"));
        Assert.False(echo.Headers.ContainsKey("Cookie"));
        Assert.Equal(["kept"], echo.Headers["X-Kept"]);
    }

    [Fact]
    public async Task Response_headers_named_in_configuration_never_reach_the_caller_from_the_next_request_on()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["orders"] = "cookies" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/orders", "orders"))
            .StartAsync();
        using var before = await env.Caller.GetAsync(new Uri("/orders", UriKind.Relative));

        env.Reload("Functions:orders:RemoveResponseHeaders:0", "x-custom");
        using var after = await env.Caller.GetAsync(new Uri("/orders", UriKind.Relative));

        Assert.Equal(["custom"], before.Headers.GetValues("X-Custom"));
        Assert.False(after.Headers.Contains("X-Custom"));
        Assert.Equal(2, after.Headers.GetValues("Set-Cookie").Count());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("RemoveRequestHeaders", "x-functions-key")]
    [InlineData("RemoveRequestHeaders", "X-Forwarded-For")]
    [InlineData("RemoveRequestHeaders", "host")]
    [InlineData("RemoveResponseHeaders", "X-Functions-ClientId")]
    [InlineData("RemoveRequestHeaders", "X Api Key")]
    public void A_proxy_owned_or_malformed_header_name_fails_validation_naming_the_option(string option, string header)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        (option == "RemoveRequestHeaders" ? options.RemoveRequestHeaders : options.RemoveResponseHeaders).Add(header);

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("orders", "Functions:orders"), options);

        Assert.True(result.Failed);
        Assert.Contains(option, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(header, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains($"(Functions:orders:{option}:0)", result.FailureMessage, StringComparison.Ordinal);
    }
}
