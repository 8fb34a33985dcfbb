using System.Net;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="Backend.HeaderPolicy"/> as <see cref="HeaderRules"/> applies it, unit by unit (the socket tests in Reliability/ prove the same end to end): the
/// headers that would let a caller override the URL, the method or an identity Azure vouches for, forged client
/// addresses, the user's removals, and the response's framing.
/// </summary>
public sealed class HeaderRulesPolicyTests
{
    [Theory]
    [InlineData("X-WAWS-Unencoded-URL")]
    [InlineData("X_Original_URL")]
    [InlineData("x_http_method_override")]
    [InlineData("X-MS-CLIENT-PRINCIPAL")]
    [InlineData("X-MS-CLIENT-PRINCIPAL-NAME")]
    [InlineData("x-ms-client-principal-id")]
    [InlineData("X-MS-TOKEN-AAD-ACCESS-TOKEN")]
    [InlineData("X_MS_TOKEN_AAD_ID_TOKEN")]
    public void A_header_that_overrides_the_url_method_or_an_azure_identity_is_never_copied(string name)
    {
        var context = Caller();
        context.Request.Headers[name] = "/admin/host/status";

        using var request = new HttpRequestMessage();

        Assert.True(HeaderRules.CopyRequestHeaders(context, request, Policy()));
        Assert.Equal(["X-Kept"], Copied(request));
    }

    [Theory]
    [InlineData("Forwarded")]
    [InlineData("X-Real-IP")]
    [InlineData("True-Client-IP")]
    [InlineData("X-Client-IP")]
    [InlineData("X-Forwarded-Port")]
    [InlineData("X_Forwarded_Prefix")]
    public void A_forgeable_client_address_is_dropped_while_the_proxy_sets_x_forwarded_and_kept_when_it_does_not(string name)
    {
        var context = Caller();
        context.Request.Headers[name] = "10.9.9.9";

        using var whileSet = new HttpRequestMessage();
        using var whileNot = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, whileSet, Policy());
        HeaderRules.CopyRequestHeaders(context, whileNot, Policy(o => o.AddXForwardedHeaders = false));

        Assert.Equal(["X-Kept"], Copied(whileSet));
        Assert.Equal(["X-Kept", name], Copied(whileNot));
        Assert.False(whileNot.Headers.NonValidated.Contains("X-Forwarded-For"));
    }

    [Fact]
    public void Without_a_configured_key_or_client_id_the_callers_pass_through()
    {
        var context = Caller();
        context.Request.Headers["x-functions-key"] = "callers-key";
        context.Request.Headers["x-functions-clientid"] = "callers-id";
        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy(o => o.AddXForwardedHeaders = false));

        Assert.Equal(["callers-key"], request.Headers.GetValues("x-functions-key"));
        Assert.Equal(["callers-id"], request.Headers.GetValues("x-functions-clientid"));
    }

    [Fact]
    public void The_users_removed_request_headers_are_dropped_underscores_read_as_hyphens()
    {
        var context = Caller();
        context.Request.Headers["X-Api-Key"] = "secret";
        context.Request.Headers["x_api_key"] = "secret";

        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy(o => { o.AddXForwardedHeaders = false; o.RemoveRequestHeaders.Add("x-api-key"); }));

        Assert.Equal(["X-Kept"], Copied(request));
    }

    [Theory]
    [InlineData("close,X-Hop")]
    [InlineData("close , x-hop ")]
    [InlineData("keep-alive")]
    public void A_request_header_the_connection_names_is_dropped_however_the_list_is_spaced(string connection)
    {
        var context = Caller();
        context.Request.Headers.Connection = connection;
        context.Request.Headers["X-Hop"] = "1";
        context.Request.Headers["Keep-Alive"] = "timeout=5";

        using var request = new HttpRequestMessage();

        HeaderRules.CopyRequestHeaders(context, request, Policy(o => o.AddXForwardedHeaders = false));

        Assert.Equal(connection == "keep-alive" ? new[] { "X-Kept", "X-Hop" } : ["X-Kept"], Copied(request));
    }

    [Fact]
    public void The_users_removed_response_headers_are_dropped_and_the_rest_copied()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("Server", "Kestrel");
        response.Headers.TryAddWithoutValidation("X-Powered-By", "Azure");
        response.Content.Headers.TryAddWithoutValidation("Content-Language", "en");
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy(o => { o.RemoveResponseHeaders.Add("server"); o.RemoveResponseHeaders.Add("CONTENT-LANGUAGE"); }));

        Assert.False(context.Response.Headers.ContainsKey("Server"));
        Assert.False(context.Response.Headers.ContainsKey("Content-Language"));
        Assert.Equal("Azure", context.Response.Headers["X-Powered-By"]);
    }

    [Fact]
    public void A_response_header_the_functions_connection_names_is_dropped_from_the_content_headers_too()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("Connection", "Content-Language");
        response.Content.Headers.TryAddWithoutValidation("Content-Language", "en");
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy());

        Assert.False(context.Response.Headers.ContainsKey("Content-Language"));
        Assert.Equal("text/plain", context.Response.ContentType);
    }

    [Fact]
    public void A_chunked_responses_content_length_is_not_passed_on()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent(new byte[5]) };
        response.Headers.TransferEncodingChunked = true;
        var context = new DefaultHttpContext();

        HeaderRules.CopyResponseHeaders(response, context.Response, NullLogger.Instance, Policy());

        Assert.Null(context.Response.ContentLength);
    }

    [Theory]
    [InlineData(new[] { "5" }, false, false)]
    [InlineData(new[] { "5", "5" }, false, false)]
    [InlineData(new[] { "5", "6" }, false, true)]
    [InlineData(new[] { "5", "+5" }, false, true)]
    [InlineData(new[] { "nope" }, false, true)]
    [InlineData(new[] { "5", "6" }, true, false)]
    public void Framing_is_invalid_when_the_content_lengths_do_not_parse_or_disagree_without_chunking(string[] lengths, bool chunked, bool invalid)
    {
        // A body of no known length, as a response read off the wire is: the headers alone say how long it is.
        using var response = new HttpResponseMessage { Content = new PushContent(_ => Task.CompletedTask) };
        Assert.True(response.Content.Headers.TryAddWithoutValidation("Content-Length", lengths));

        response.Headers.TransferEncodingChunked = chunked;

        Assert.Equal(invalid, HeaderRules.HasInvalidFraming(response));
    }

    // The headers a request carries from the caller: all but the X-Forwarded-* the proxy sets itself.
    private static List<string> Copied(HttpRequestMessage request) =>
        [.. request.Headers.NonValidated.Select(h => h.Key).Where(k => k is not ("X-Forwarded-For" or "X-Forwarded-Proto" or "X-Forwarded-Host"))];

    private static DefaultHttpContext Caller()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers["X-Kept"] = "kept";
        return context;
    }

    private static Backend.HeaderPolicy Policy(Action<AzureFunctionProxyOptions>? configure = null)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        configure?.Invoke(options);
        return new Backend.HeaderPolicy(options);
    }
}
