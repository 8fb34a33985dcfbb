using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// The hop-by-hop headers RFC 9110 7.6.1 lists stay behind on the way back too, named by the function's <c>Connection</c>
/// or not: a caller must never see the function's connection management as the proxy's.
/// </summary>
public sealed class ResponseHopByHopHeaderTests
{
    [Theory]
    [InlineData("Proxy-Connection", "keep-alive")]
    [InlineData("TE", "trailers")]
    [InlineData("Trailer", "X-Checksum")]
    public void A_hop_by_hop_response_header_the_connection_does_not_name_is_not_copied(string name, string value)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        Assert.True(response.Headers.TryAddWithoutValidation(name, value));
        response.Headers.TryAddWithoutValidation("X-Kept", "kept");
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy());

        Assert.False(context.Response.Headers.ContainsKey(name));
        Assert.Equal("kept", context.Response.Headers["X-Kept"]);
    }

    private static Backend.HeaderPolicy Policy() => new(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" });
}
