using System.Net;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="Backend"/> alone: the HTTP version its requests ask for, its keyless twin for Durable links, and the
/// fallback to HTTP/1.1 logged once. <see cref="BackendHeaderPolicyTests"/> covers its header policy; the socket tests
/// (Http2TransportTests, the Durable link tests) show the same over the wire.
/// </summary>
public sealed class BackendTests
{
    [Theory]
    [InlineData("1.1", true, 1, HttpVersionPolicy.RequestVersionOrLower)]
    [InlineData("1.1", false, 1, HttpVersionPolicy.RequestVersionOrLower)]
    [InlineData("2", true, 2, HttpVersionPolicy.RequestVersionOrLower)]
    [InlineData("2", false, 2, HttpVersionPolicy.RequestVersionExact)]
    public void Requests_ask_for_the_configured_version_with_ALPN_over_HTTPS_and_prior_knowledge_over_plain_HTTP(string version, bool https, int major, HttpVersionPolicy policy)
    {
        var backend = Make(o =>
        {
            o.HttpVersion = version;
            o.Https = https;
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1/");

        backend.ApplyVersion(request);

        Assert.Equal(major, request.Version.Major);
        Assert.Equal(policy, request.VersionPolicy);
    }

    [Fact]
    public void The_keyless_twin_sends_neither_the_key_nor_Accept_Encoding_and_leaves_the_functions_options_as_they_were()
    {
        var backend = Make(o => o.ApiKey = "function-key");

        var keyless = backend.Keyless;

        Assert.NotSame(backend, keyless);
        Assert.Same(keyless, keyless.Keyless);
        Assert.Null(keyless.Options.ApiKey);
        Assert.Null(keyless.Headers.ApiKey);
        Assert.True(keyless.Headers.DropsRequestHeader("x-functions-key"));
        Assert.True(keyless.Headers.DropsRequestHeader("Accept-Encoding"));
        Assert.Equal("function-key", backend.Options.ApiKey);
        Assert.False(backend.Headers.DropsRequestHeader("Accept-Encoding"));
        Assert.DoesNotContain("Accept-Encoding", backend.Options.RemoveRequestHeaders);
    }

    [Fact]
    public void A_backend_asked_for_HTTP2_that_answers_in_HTTP11_is_logged_once()
    {
        var logs = new CapturingLoggerProvider();
        var logger = logs.CreateLogger("test");
        var http2 = Make(o => o.HttpVersion = "2");
        var http11 = Make(o => o.HttpVersion = "1.1");
        using var answeredIn11 = new HttpResponseMessage(HttpStatusCode.OK) { Version = HttpVersion.Version11 };
        using var answeredIn2 = new HttpResponseMessage(HttpStatusCode.OK) { Version = HttpVersion.Version20 };

        http2.Answered(answeredIn2, logger);
        http11.Answered(answeredIn11, logger);
        Assert.Empty(logs.Entries);

        http2.Answered(answeredIn11, logger);
        Assert.Single(logs.Entries);

        http2.Answered(answeredIn11, logger);
        http2.Answered(answeredIn11, logger);

        var entry = Assert.Single(logs.Entries);
        Assert.Equal("Http2FallBack", entry.EventId.Name);
        Assert.Contains("'hello'", entry.Text);
        Assert.Contains("myapp.azurewebsites.net:443", entry.Text);
    }

    private static Backend Make(Action<AzureFunctionProxyOptions> configure)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        configure(options);
        return new Backend("hello", options, ConnectionSettings.From(options), new Uri("https://myapp.azurewebsites.net/api/hello"));
    }
}
