using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Which JSON bodies the proxy reads to rewrite Durable URLs, and how: every string value that is a management URL on the
/// function's origin, however it is escaped and wherever it sits; every other byte as the function sent it; and bodies
/// it must not buffer (large, chunked, not 2xx, not JSON) streamed through untouched.
/// </summary>
public sealed class DurableJsonBodyTests
{
    private const string Management = "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&connection=Storage&code=SYSTEMKEY";

    [Theory]
    [InlineData("""{"a":"{url}"}""")]
    [InlineData("""{"a":"{url}","a":"{url}"}""")] // duplicate keys: both rewritten
    [InlineData("""["{url}", 1, true, null, {"deep": ["{url}"]}]""")]
    [InlineData("\"{url}\"")]
    [InlineData("""{"PascalCase":"{escapedUrl}"}""")] // \/ and \u0026 as a serializer may write them
    [InlineData("""{ "spaced" : "{url}" ,"other":"kept"  }""")]
    [InlineData("""{"a":"{letterEscapedUrl}"}""")] // "durabletask" written with \u escapes: no such word in the bytes
    [InlineData("""{"a":"{upperCaseUrl}"}""")] // DURABLETASK
    public async Task Every_management_url_on_the_origin_is_rewritten_whatever_its_shape(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Expand(template, env);
        env.Function.Answer = context => Json(context, body);

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("SYSTEMKEY", Unescaped(received), StringComparison.Ordinal);
        Assert.DoesNotContain("durabletask", Unescaped(received), StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(received), response.Content.Headers.ContentLength);
        var links = Strings(received).Where(s => s.Contains("/_durable/", StringComparison.Ordinal)).ToList();
        Assert.Equal(template.Split("rl}").Length - 1, links.Count);
        Assert.All(links, link => Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", link, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deeply_nested_url_is_rewritten()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = new string('[', 5000) + $"\"{env.Function.Origin}{Management}\"" + new string(']', 5000);
        env.Function.Answer = context => Json(context, body);

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.Contains("/mytest/_durable/", received, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"slash":"a\/b","amp":"\u0026","unicode":"\u00e9\uD83D\uDE00","n":1.50e+3,"big":123456789012345678901234567890}""")]
    [InlineData("""  {"ws" :	[ 1 ,2 ] }  """)]
    [InlineData("""{"url":"{origin}/runtime/webhooks/other"}""")]
    public async Task A_json_body_with_no_management_url_passes_byte_for_byte(string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Expand(template, env);
        env.Function.Answer = context => Json(context, body);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(Encoding.UTF8.GetBytes(body), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(2 * 1024 * 1024, true, StatusCodes.Status200OK, "application/json")] // too large
    [InlineData(1024, false, StatusCodes.Status200OK, "application/json")] // chunked, no Durable Location
    [InlineData(1024, true, StatusCodes.Status500InternalServerError, "application/json")] // not 2xx
    [InlineData(1024, true, StatusCodes.Status200OK, "text/plain")] // not JSON
    [InlineData(1024, true, StatusCodes.Status200OK, "application/jsonp")]
    public async Task Bodies_that_are_not_rewritten_stream_through_untouched(int size, bool withLength, int status, string contentType)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();

        // A URL of the function's own route: one of Durable's would cut the body (StreamedKeyLeakTests).
        var url = $"\"{env.Function.Origin}/api/answer/x?code=K\"";
        var filler = new string('x', size - url.Length - 16);
        var body = Encoding.UTF8.GetBytes($$"""{"u":{{url}},"f":"{{filler}}"}""");
        env.Function.Answer = async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            if (withLength)
            {
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body);
            }
            else
            {
                await context.Response.Body.WriteAsync(body.AsMemory(0, 10));
                await context.Response.Body.FlushAsync();
                await context.Response.Body.WriteAsync(body.AsMemory(10));
            }
        };

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(!withLength, response.Headers.TransferEncodingChunked == true);
    }

    [Fact]
    public async Task A_json_body_that_does_not_parse_yet_names_a_management_url_fails_with_502()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = $$"""{"statusQueryGetUri":"{{env.Function.Origin}}{{Management}}" """;
        env.Function.Answer = context => Json(context, body);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("SYSTEMKEY", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(70_000, false, null, "application/json")] // chunked, too large to rewrite
    [InlineData(70_000, true, null, "application/json")] // too large by its length
    [InlineData(100, true, "gzip", "application/json")] // encoded (a caller's Accept-Encoding, honoured by the function's host)
    [InlineData(100, true, null, "text/plain")] // not declared JSON
    [InlineData(100, false, null, null)]
    public async Task A_durable_response_whose_body_cannot_be_rewritten_fails_rather_than_leak(int padding, bool withLength, string? encoding, string? contentType)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var url = $"{env.Function.Origin}{Management}";
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{url}}","pad":"{{new string('x', padding)}}"}""");
        env.Function.Answer = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.ContentType = contentType;
            context.Response.Headers.ContentEncoding = encoding;
            context.Response.Headers.Location = url;
            context.Response.ContentLength = withLength ? body.Length : null;
            await context.Response.Body.WriteAsync(body);
        };

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await ReadWhatArrivesAsync(response);

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain("SYSTEMKEY", response.Headers.ToString(), StringComparison.Ordinal);
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway || received.Contains("/mytest/_durable/", StringComparison.Ordinal), $"{response.StatusCode}: {received}");
    }

    [Fact]
    public async Task A_durable_response_with_several_locations_has_each_rewritten_and_its_chunked_body_too()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var url = $"{env.Function.Origin}{Management}";
        env.Function.Answer = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.ContentType = "application/json";
            context.Response.Headers.Location = new(["https://elsewhere.example/", url]);
            await context.Response.WriteAsync($$"""{"statusQueryGetUri":"{{url}}"}""");
        };

        using var response = await env.Caller.GetAsync("/mytest");
        var received = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("SYSTEMKEY", received, StringComparison.Ordinal);
        Assert.DoesNotContain("SYSTEMKEY", response.Headers.ToString(), StringComparison.Ordinal);
        Assert.Contains("/mytest/_durable/", received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_management_url_with_a_lone_surrogate_fails_rather_than_leak()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = $$"""{"u":"{{env.Function.Origin}}{{Management}}"}""".Replace("&code", "&reason=\\uD800&code", StringComparison.Ordinal);
        env.Function.Answer = context => Json(context, body);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.DoesNotContain("SYSTEMKEY", await ReadWhatArrivesAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_request_gets_the_headers_rewritten_and_no_body()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = $$"""{"a":"{{env.Function.Origin}}{{Management}}"}""";
        env.Function.Answer = context =>
        {
            context.Response.Headers.Location = env.Function.Origin + Management;
            return Json(context, body);
        };

        using var response = await env.Caller.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/mytest"));

        Assert.StartsWith($"http://127.0.0.1:{env.Port}/mytest/_durable/", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<string> ReadWhatArrivesAsync(HttpResponseMessage response)
    {
        try
        {
            return await response.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException)
        {
            return string.Empty;
        }
    }

    private static Task Json(HttpContext context, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static string Expand(string template, ProxyTestHost env) => template
        .Replace("{url}", env.Function.Origin + Management, StringComparison.Ordinal)
        .Replace("{escapedUrl}", (env.Function.Origin + Management).Replace("/", "\\/", StringComparison.Ordinal).Replace("&", "\\u0026", StringComparison.Ordinal), StringComparison.Ordinal)
        .Replace("{letterEscapedUrl}", (env.Function.Origin + Management).Replace("durabletask", "\\u0064urable\\u0074ask", StringComparison.Ordinal), StringComparison.Ordinal)
        .Replace("{upperCaseUrl}", (env.Function.Origin + Management).Replace("durabletask", "DURABLETASK", StringComparison.Ordinal), StringComparison.Ordinal)
        .Replace("{origin}", env.Function.Origin, StringComparison.Ordinal);

    private static string Unescaped(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + json;

    private static IEnumerable<string> Strings(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var strings = new List<string>();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                strings.Add(reader.GetString()!);
            }
        }

        return strings;
    }
}
