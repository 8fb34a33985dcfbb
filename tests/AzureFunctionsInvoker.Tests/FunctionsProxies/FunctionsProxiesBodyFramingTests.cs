using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Tests.Integration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// The transport settings of <c>FunctionsProxies</c> (<c>RequestBodyFraming</c>, <c>HttpVersion</c>,
/// <c>MaxConnectionsPerBackend</c>) over real sockets, against a stand-in that refuses a body without
/// <c>Content-Length</c> (411), as Azure Functions' out-of-process workers effectively do.
/// </summary>
public sealed class FunctionsProxiesBodyFramingTests
{
    private const string Upload = """
        {
          "proxies": {
            "other": {
              "matchCondition": { "route": "/other" },
              "backendUri": "http://%StandIn:Host%/api/answer",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            },
            "local": {
              "matchCondition": { "route": "/local" },
              "backendUri": "https://localhost/api/answer"
            }
          }
        }
        """;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(300_000)]
    public async Task A_chunked_body_reaches_another_host_whole_with_its_content_length(int size)
    {
        await using var proxies = await StartAsync();
        var body = RequestBodyFramingTests.Bytes(size);

        using var response = await proxies.Caller.PostAsync("/other", RequestBodyFramingTests.Chunked(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{size} {size} {RequestBodyFramingTests.Hash(body)}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_chunked_body_reaches_the_local_function_app_with_its_content_length()
    {
        await using var proxies = await StartAsync();
        var body = RequestBodyFramingTests.Bytes(100_000);

        using var response = await proxies.Caller.PostAsync("/local", RequestBodyFramingTests.Chunked(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length} {body.Length} {RequestBodyFramingTests.Hash(body)}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AsSent_streams_a_chunked_body_chunked_to_another_host_while_the_local_function_app_keeps_its_own_setting()
    {
        await using var proxies = await StartAsync(new() { ["FunctionsProxies:RequestBodyFraming"] = "AsSent" });
        var body = RequestBodyFramingTests.Bytes(100_000);

        using var other = await proxies.Caller.PostAsync("/other", RequestBodyFramingTests.Chunked(body));
        using var local = await proxies.Caller.PostAsync("/local", RequestBodyFramingTests.Chunked(body));

        // The stand-in refuses a body without a length: the proxy to another host sent it chunked.
        Assert.Equal(HttpStatusCode.LengthRequired, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal($"{body.Length} {body.Length} {RequestBodyFramingTests.Hash(body)}", await local.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_chunked_body_over_MaxRequestBodySize_gets_413_and_nothing_reaches_the_backend()
    {
        await using var proxies = await StartAsync(new() { ["FunctionsProxies:MaxRequestBodySize"] = "100000" });

        using var response = await proxies.Caller.PostAsync("/other", RequestBodyFramingTests.Chunked(RequestBodyFramingTests.Bytes(300_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(proxies.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("HttpVersion", "3", "HttpVersion must be 1.1 or 2.")]
    [InlineData("MaxConnectionsPerBackend", "0", "MaxConnectionsPerBackend must be 1 connection or more, or unset for no limit.")]
    public async Task An_invalid_transport_setting_stops_the_app_naming_its_key(string key, string value, string message)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => new ProxyHostBuilder()
            .ServingProxiesFile(Upload, settings: new Dictionary<string, string?> { ["FunctionsProxies:" + key] = value })
            .StartAsync());

        Assert.Contains($"FunctionsProxies:{key}: {message}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_RequestBodyFraming_set_in_code_to_no_value_stops_the_app_naming_its_key()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => new ProxyHostBuilder()
            .ServingProxiesFile(Upload)
            .ConfigureServices(builder => builder.Services.Configure<FunctionsProxiesOptions>(o => o.RequestBodyFraming = (RequestBodyFraming)7))
            .StartAsync());

        Assert.Contains("FunctionsProxies:RequestBodyFraming: RequestBodyFraming must be ContentLength or AsSent.", e.Message, StringComparison.Ordinal);
    }

    private static async Task<ProxyTestHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var proxies = await new ProxyHostBuilder().ServingProxiesFile(Upload, settings: settings).StartAsync();
        proxies.Function.Answer = RequestBodyFramingTests.LengthOnlyAsync;
        return proxies;
    }
}
