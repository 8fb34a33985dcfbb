using System.Collections.Concurrent;
using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// Attacks on what a served proxies.json promises (issue 21 item 3), from a hostile caller's side and a misbehaving
/// backend's: values that would reach a header line, framing headers from the file, a key in a redirect, a setting's
/// value in a startup error.
/// </summary>
public sealed class FunctionsProxiesAttackTests
{
    private const string File = """
        {
          "proxies": {
            "header": {
              "matchCondition": { "route": "/h" },
              "backendUri": "http://%StandIn:Host%/api/answer",
              "requestOverrides": {
                "backend.request.headers.x-functions-key": "%StandIn:Key%",
                "backend.request.headers.X-Value": "{request.querystring.v}"
              }
            },
            "framing": {
              "matchCondition": { "route": "/f" },
              "backendUri": "http://%StandIn:Host%/api/answer",
              "requestOverrides": {
                "backend.request.headers.x-functions-key": "%StandIn:Key%",
                "backend.request.headers.Host": "evil.example",
                "backend.request.headers.Transfer-Encoding": "chunked"
              }
            },
            "mock": {
              "matchCondition": { "route": "/m" },
              "responseOverrides": { "response.headers.X-Value": "{request.querystring.v}", "response.body": "ok" }
            },
            "coded": {
              "matchCondition": { "route": "/coded/{*rest}" },
              "backendUri": "http://%StandIn:Host%/api/answer/{rest}?code=%StandIn:Key%",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" }
            },
            "codedBody": {
              "matchCondition": { "route": "/coded-body/{*rest}" },
              "backendUri": "http://%StandIn:Host%/api/answer/{rest}",
              "requestOverrides": {
                "backend.request.headers.x-functions-key": "%StandIn:Key%",
                "backend.request.querystring.code": "%StandIn:Key%"
              },
              "responseOverrides": { "response.body": "moved to {backend.response.headers.Location}", "response.headers.X-Was": "{backend.response.headers.Location}" }
            }
          }
        }
        """;

    [Theory]
    [InlineData("a%0D%0AX-Injected:%201")]
    [InlineData("a%0AX-Injected:%201")]
    [InlineData("a%00b")]
    [InlineData("%C3%A9t%C3%A9")]
    public async Task A_callers_value_in_a_request_header_override_never_writes_a_header_line(string value)
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();
        var received = new ConcurrentQueue<IHeaderDictionary>();
        proxies.Function.Answer = context =>
        {
            received.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            return Task.CompletedTask;
        };

        using var response = await proxies.Caller.GetAsync("/h?v=" + value);

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.All(received, headers =>
        {
            Assert.False(headers.ContainsKey("X-Injected"));
            Assert.All(headers["X-Value"], v => Assert.DoesNotContain('\n', v!));
        });
    }

    [Theory]
    [InlineData("/coded/x", "Location")]
    [InlineData("/coded/x", "Content-Location")]
    [InlineData("/coded-body/x", "Location")]
    public async Task A_backend_redirect_to_its_own_address_never_hands_the_backendUri_code_to_the_caller(string path, string header)
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();
        proxies.Function.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers[header] = proxies.Function.Origin + context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            return Task.CompletedTask;
        };
        using var caller = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = proxies.Caller.BaseAddress };

        using var response = await caller.GetAsync(path);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Contains("code=" + proxies.Function.Key, Assert.Single(proxies.Function.ReceivedTargets), StringComparison.Ordinal);
        Assert.DoesNotContain(proxies.Function.Key, response.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(proxies.Function.Key, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("response.statusCode", "responseOverrides")]
    [InlineData("backend.request.method", "requestOverrides")]
    public async Task A_settings_value_is_in_no_startup_error(string element, string section)
    {
        var file = $$"""
            { "proxies": { "p": {
              "matchCondition": { "route": "/p" },
              "backendUri": "http://%StandIn:Host%/api/echo",
              "{{section}}": { "{{element}}": "%StandIn:Key%" }
            } } }
            """;
        var settings = new Dictionary<string, string?> { ["StandIn:Key"] = "not a status/key==" };

        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder().ServingProxiesFile(file, settings: settings).StartAsync());

        Assert.Contains(element, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not a status/key==", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a%0D%0AX-Injected:%201")]
    [InlineData("%C3%A9t%C3%A9")]
    public async Task A_callers_value_in_a_response_header_override_never_splits_the_response(string value)
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();

        using var response = await proxies.Caller.GetAsync("/m?v=" + value);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("X-Injected"));
        Assert.False(response.Headers.Contains("X-Value"));
        using var plain = await proxies.Caller.GetAsync("/m?v=plain%09value");
        Assert.Equal("plain\tvalue", Assert.Single(plain.Headers.GetValues("X-Value")));
    }

    [Fact]
    public async Task Host_and_transfer_encoding_from_request_overrides_never_reframe_the_backends_request()
    {
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(File).StartAsync();
        var received = new ConcurrentQueue<(string Host, string TransferEncoding, long? Length, string Body)>();
        proxies.Function.Answer = async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            received.Enqueue((context.Request.Host.Value!, context.Request.Headers.TransferEncoding.ToString(), context.Request.ContentLength, await reader.ReadToEndAsync()));
        };

        using var response = await proxies.Caller.PostAsync("/f", new StringContent("hello world"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (host, transferEncoding, length, body) = Assert.Single(received);
        Assert.StartsWith("127.0.0.1:", host, StringComparison.Ordinal);
        Assert.Equal(string.Empty, transferEncoding);
        Assert.Equal(11, length);
        Assert.Equal("hello world", body);
    }

    [Theory]
    [InlineData("{request.querystring.len}")]
    [InlineData("5")]
    public async Task A_content_length_override_is_refused_at_load(string value)
    {
        var file = $$"""
            { "proxies": { "p": {
              "matchCondition": { "route": "/p" },
              "backendUri": "http://%StandIn:Host%/api/echo",
              "requestOverrides": { "backend.request.headers.content-length": "{{value}}" }
            } } }
            """;

        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder().ServingProxiesFile(file).StartAsync());

        Assert.Contains("backend.request.headers.content-length", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost/api/answer?code=%StandIn:Key%")]
    [InlineData("http://%StandIn:Host%/api/answer?code=%StandIn:Key%")]
    public async Task A_callers_own_key_header_never_replaces_the_code_the_file_sends(string backendUri)
    {
        var file = $$"""
            { "proxies": { "p": { "matchCondition": { "route": "/p" }, "backendUri": "{{backendUri}}" } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();
        proxies.Function.MasterKey = "callers-own-key";
        var keys = new ConcurrentQueue<string>();
        proxies.Function.Answer = context =>
        {
            keys.Enqueue(context.Request.Headers["x-functions-key"].ToString());
            return Task.CompletedTask;
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/p");
        request.Headers.Add("x-functions-key", "callers-own-key");

        using var response = await proxies.Caller.SendAsync(request);

        // The stand-in reads only the header: the caller's key let the request in before; now it goes without one.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(keys);
        Assert.Contains("code=" + proxies.Function.Key, Assert.Single(proxies.Function.ReceivedTargets), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/one/%2F%2Fevil.example")]
    [InlineData("/one/@evil.example")]
    [InlineData("/one/%40evil.example%3A80")]
    [InlineData("/all//evil.example/x")]
    [InlineData("/all/%2F%2Fevil.example/x")]
    [InlineData("/all/@evil.example/x")]
    public async Task A_parameter_at_the_start_of_the_path_never_changes_where_the_proxy_connects(string path)
    {
        const string file = """
            { "proxies": {
              "one": { "matchCondition": { "route": "/one/{x}" }, "backendUri": "http://%StandIn:Host%/{x}?code=%StandIn:Key%" },
              "all": { "matchCondition": { "route": "/all/{*rest}" }, "backendUri": "http://%StandIn:Host%/{rest}?code=%StandIn:Key%" }
            } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();

        var raw = await Infrastructure.RawHttp.SendAsync(Infrastructure.LoopbackApp.Port(proxies.App), $"GET {path} HTTP/1.1\nHost: proxy.example");

        // The stand-in is the only place it can go: the request either reached it, below its '/', or was refused.
        var status = Assert.Single(Infrastructure.RawHttp.Statuses(raw));
        var targets = proxies.Function.ReceivedTargets.ToList();
        Assert.True(status is 400 or 404 || targets.Count == 1, raw);
        Assert.All(targets, target => Assert.StartsWith("/", target, StringComparison.Ordinal));
        Assert.All(proxies.Function.ReceivedPaths, received => Assert.DoesNotContain("..", received, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_settings_braces_are_text_never_a_callers_variable()
    {
        const string file = """
            { "proxies": { "p": { "matchCondition": { "route": "/p" }, "backendUri": "http://%StandIn:Host%/api/answer/%Braces%?code=%StandIn:Key%",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" } } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file, settings: new Dictionary<string, string?> { ["Braces"] = "{request.querystring.h}" }).StartAsync();
        proxies.Function.Answer = _ => Task.CompletedTask;

        using var response = await proxies.Caller.GetAsync("/p?h=evil");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var target = Assert.Single(proxies.Function.ReceivedTargets);
        Assert.StartsWith("/api/answer/{request.querystring.h}?", target, StringComparison.Ordinal);
        Assert.DoesNotContain("/evil", target, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trace", null)]
    [InlineData("CONNECT", null)]
    [InlineData("GET /x HTTP/1.1", null)]
    [InlineData("get", "GET")]
    [InlineData("Delete", "DELETE")]
    public async Task A_method_override_from_a_callers_header_is_a_method_token_and_never_trace_or_connect(string sent, string? expected)
    {
        const string file = """
            { "proxies": { "p": { "matchCondition": { "route": "/p" }, "backendUri": "http://%StandIn:Host%/api/answer",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%", "backend.request.method": "{request.headers.X-Method}" } } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();
        var methods = new ConcurrentQueue<string>();
        proxies.Function.Answer = context =>
        {
            methods.Enqueue(context.Request.Method);
            return Task.CompletedTask;
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/p");
        request.Headers.TryAddWithoutValidation("X-Method", sent);

        using var response = await proxies.Caller.SendAsync(request);

        if (expected is null)
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Empty(proxies.Function.ReceivedTargets);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, Assert.Single(methods));
        }
    }

    [Theory]
    [InlineData("\"response.headers.X-Leak\": \"{backend.response.headers.x-functions-key}\"")]
    [InlineData("\"response.body\": \"key: {backend.response.headers.x-functions-key}\"")]
    [InlineData("\"response.statusReason\": \"{backend.response.headers.x-functions-key}\"")]
    public async Task A_reflected_key_cannot_be_copied_back_through_a_response_override(string element)
    {
        var file = $$"""
            { "proxies": { "p": { "matchCondition": { "route": "/p" }, "backendUri": "http://%StandIn:Host%/api/reflect",
              "requestOverrides": { "backend.request.headers.x-functions-key": "%StandIn:Key%" },
              "responseOverrides": { {{element}} } } } }
            """;
        await using var proxies = await new ProxyHostBuilder().ServingProxiesFile(file).StartAsync();

        using var response = await proxies.Caller.GetAsync("/p");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(proxies.Function.ReceivedTargets);
        Assert.DoesNotContain(proxies.Function.Key, response.ToString() + response.ReasonPhrase + await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(100_000)]
    public async Task A_deeply_nested_body_is_a_startup_error_naming_the_file(int depth)
    {
        var file = """{ "proxies": { "p": { "matchCondition": { "route": "/p" }, "responseOverrides": { "response.body": """
            + new string('[', depth) + new string(']', depth) + " } } } }";

        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => new ProxyHostBuilder().ServingProxiesFile(file).StartAsync());

        Assert.Contains("proxies.json", e.Message, StringComparison.Ordinal);
    }
}
