using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// What a hostile caller sends: paths built to leave the function's route (the Function App's /admin API sits beside
/// /api), requests framed two ways at once, oversized heads, and header values that would split into new headers.
/// </summary>
public sealed class AbuseTests
{
    private const string Route = "/api/echo";

    /// <summary>Path-traversal forms by family; each is sent byte for byte.</summary>
    public static TheoryData<string, string> TraversalCorpus => new()
    {
        { "dot segments", "/mytest/../admin" },
        { "dot segments", "/mytest/x/../../admin" },
        { "dot segments", "/mytest/./../admin" },
        { "dot segments", "/mytest/x/.." },
        { "dot segments", "/mytest/.../admin" },
        { "dot segments", "/mytest/..%20/admin" },
        { "encoded, upper case", "/mytest/%2E%2E/admin" },
        { "encoded, upper case", "/mytest/x/%2E%2E/%2E%2E/admin" },
        { "encoded, upper case", "/mytest/..%2F..%2Fadmin" },
        { "encoded, upper case", "/mytest/x%2F..%2F..%2Fadmin" },
        { "encoded, lower case", "/mytest/%2e%2e/admin" },
        { "encoded, lower case", "/mytest/..%2f..%2fadmin" },
        { "encoded, lower case", "/mytest/x/%2e%2e" },
        { "encoded, lower case", "/mytest/%2e" },
        { "double-encoded", "/mytest/x/%252e%252e/%252e%252e/admin" },
        { "double-encoded", "/mytest/..%252F..%252Fadmin" },
        { "double-encoded", "/mytest/%252E%252E%252Fadmin" },
        { "triple-encoded", "/mytest/x/%25252e%25252e/admin" },
        { "overlong UTF-8", "/mytest/%C0%AE%C0%AE/admin" },
        { "overlong UTF-8", "/mytest/%c0%ae%c0%ae%c0%af" },
        { "overlong UTF-8", "/mytest/%E0%80%AE%E0%80%AE/admin" },
        { "overlong UTF-8", "/mytest/..%C0%AFadmin" },
        { "overlong UTF-8", "/mytest/%F0%80%80%AE%F0%80%80%AE/admin" },
        { "backslashes", "/mytest/..\\..\\admin" },
        { "backslashes", "/mytest/x\\..\\..\\admin" },
        { "backslashes", "/mytest/..%5C..%5Cadmin" },
        { "backslashes", "/mytest/..%5c..%5cadmin" },
        { "backslashes", "/mytest/a%255Cb" },
        { "%u escapes", "/mytest/%u002e%u002e/admin" },
        { "fullwidth", "/mytest/%EF%BC%8E%EF%BC%8E/admin" },
        { "fullwidth", "/mytest/..%EF%BC%8Fadmin" },
        { "%00", "/mytest/x%00/admin" },
        { "%00", "/mytest/..%00/admin" },
        { "%00", "/mytest/%2500" },
        { "; parameters", "/mytest/..;/admin" },
        { "; parameters", "/mytest/x/..%2F;/admin" },
        { "; parameters", "/mytest/.;/..;/admin" },
        { "; parameters", "/mytest/%2e%2e;x=1/admin" },
        { "mixed", "/mytest/.%2e/%2E./admin" },
        { "mixed", "/mytest/%2e%2E%5c%2E%2e%5cadmin" },
        { "mixed", "/mytest/x/..%5C%2e%2e%2fadmin" },
        { "mixed", "/mytest/%252e%2e/admin" },
        { "mixed", "/mytest/..%09/admin" },
        { "mixed", "/mytest/a%0Ab" },
        { "folded then decoded", "/mytest/%EF%BC%852e%EF%BC%852e/%EF%BC%852e%EF%BC%852e/admin" },
        { "folded then decoded", "/mytest/%25%EF%BC%92%EF%BD%85%25%EF%BC%92%EF%BD%85/admin" },
        { "folded then decoded", "/mytest/..%EF%BC%852F..%EF%BC%852Fadmin" },
        { "folded then decoded", "/mytest/..%EF%BC%855C..%EF%BC%855Cadmin" },
        { "folded then decoded", "/mytest/%EF%BC%85%EF%BD%95002e%EF%BC%85%EF%BD%95002e/admin" },
        { "; parameters", "/mytest/..%3B/admin" },
        { "; parameters", "/mytest/..%253B/admin" },
        { "ignored characters", "/mytest/..%C2%85/admin" },
        { "ignored characters", "/mytest/..%E2%80%A8/admin" },
        { "ignored characters", "/mytest/..%E1%9A%80/admin" },
        { "ignored characters", "/mytest/%E2%80%8B../admin" },
        { "ignored characters", "/mytest/.%C2%AD./admin" },
        { "ignored characters", "/mytest/%EF%BB%BF../admin" },
        { "ignored characters", "/mytest/a%C2%85b" },
        { "ignored characters", "/mytest/..%F3%A0%80%81/..%F3%A0%80%81/admin" },
        { "ignored characters", "/mytest/..%F0%9D%85%B3/..%F0%9B%B2%A0/admin" },
    };

    [Theory]
    [MemberData(nameof(TraversalCorpus))]
    public async Task A_traversal_path_is_refused_or_kept_strictly_inside_the_functions_route(string family, string path)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        var raw = await RawHttp.SendAsync(env.Port, $"GET {path} HTTP/1.1\nHost: proxy.example");

        var status = Assert.Single(RawHttp.Statuses(raw));
        var forwarded = env.Function.ReceivedTargets.ToList();
        // Refused (by the proxy or by Kestrel), answered by the app's own pipeline after Kestrel resolved the dots
        // out of the mount point, or forwarded: then only below the route, however leniently the target is read.
        Assert.True(status == 400 || forwarded.Count > 0 || raw.Contains("pipeline", StringComparison.Ordinal), $"{family}: {raw}");
        Assert.All(forwarded, target =>
        {
            Assert.StartsWith(Route + "/", target, StringComparison.Ordinal);
            Assert.True(LenientFrontEnd.StaysWithin(target, Route), $"{family}: {target} resolves to {LenientFrontEnd.Resolve(target)}");
            Assert.DoesNotContain(Uri.UnescapeDataString(target).EnumerateRunes(), r => System.Text.Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.Control
                or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator);
        });
        Assert.All(env.Function.ReceivedPaths, decoded => Assert.StartsWith(Route + "/", decoded, StringComparison.Ordinal));
        if (status == 400)
        {
            Assert.Empty(forwarded);
        }
    }

    [Fact]
    public void The_traversal_corpus_covers_every_family_with_at_least_30_forms()
    {
        var families = TraversalCorpus.Select(row => (string)row[0]).ToHashSet();

        Assert.True(TraversalCorpus.Count() >= 30);
        Assert.Superset(
            new HashSet<string> { "dot segments", "encoded, upper case", "encoded, lower case", "double-encoded", "overlong UTF-8", "backslashes", "%00", "; parameters", "mixed", "folded then decoded", "ignored characters" },
            families);
    }

    [Fact]
    public async Task The_refusal_is_a_small_problem_body_without_the_path_or_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();

        using var response = await env.SendRawPathAsync(HttpMethod.Get, "/mytest/x/%252e%252e/%252e%252e/admin/host/keys?code=x");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("admin", body, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Function.Key, body, StringComparison.Ordinal);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    /// <summary>Requests whose body length two parsers could read two ways.</summary>
    public static TheoryData<string, string, int> SmugglingShapes => new()
    {
        { "Content-Length then Transfer-Encoding", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200 },
        { "Transfer-Encoding then Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200 },
        { "CL.TE with a request hidden in the body", "Content-Length: 47\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /mytest/smuggled HTTP/1.1\r\nHost: proxy\r\n\r\n", 200 },
        { "TE.CL with a request hidden in a chunk", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2e\r\nGET /mytest/smuggled HTTP/1.1\r\nHost: proxy\r\n\r\n\r\n0\r\n\r\n", 200 },
        { "conflicting Content-Lengths", "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
        { "conflicting Content-Length list", "Content-Length: 5, 6\r\n\r\nhello!", 400 },
        { "signed Content-Length", "Content-Length: +5\r\n\r\nhello", 200 },
        { "Transfer-Encoding not ending in chunked", "Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n\r\nhello", 400 },
        { "unknown Transfer-Encoding", "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello", 400 },
        { "space before the colon", "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello", 400 },
        { "Transfer-Encoding repeated", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200 },
        { "chunk size overflow", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF5\r\nhello\r\n0\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(SmugglingShapes))]
    public async Task A_request_framed_ambiguously_is_refused_or_forwarded_with_one_framing(string shape, string headersAndBody, int expectedStatus)
    {
        await using var function = RecordingFunction();
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = function.Port).StartAsync();

        var raw = await RawHttp.SendExactAsync(env.Port, "POST /mytest HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n" + headersAndBody);

        var status = Assert.Single(RawHttp.Statuses(raw));
        Assert.True(status == expectedStatus, $"{shape}: {raw}");
        // Refused: nothing complete reached the function (a body that turns out bad mid-stream is cut off there).
        // Forwarded: exactly one request, whole, with one framing, and nothing hidden in it parsed as a request.
        var forwarded = function.Received.ToList();
        var complete = forwarded.Where(RawFunction.IsComplete).ToList();
        Assert.Equal(status == 200 ? 1 : 0, complete.Count);
        Assert.True(forwarded.Count <= 1, $"{shape}: the function got {forwarded.Count} requests");
        foreach (var request in complete)
        {
            var (head, body) = Split(request);
            var lengths = HeaderLines(head, "Content-Length");
            var encodings = HeaderLines(head, "Transfer-Encoding");
            Assert.True(lengths.Count + encodings.Count <= 1, $"{shape}: forwarded framed two ways:\n{head}");
            Assert.DoesNotContain("smuggled", head, StringComparison.Ordinal);
            if (lengths.Count == 1)
            {
                Assert.Equal(int.Parse(lengths[0], System.Globalization.CultureInfo.InvariantCulture), body.Length);
            }
        }
    }

    [Theory]
    [InlineData("a 40 KiB header", 431)]
    [InlineData("101 headers", 431)]
    [InlineData("a 10 KiB request line", 414)]
    public async Task An_oversized_request_head_is_answered_by_kestrels_limits_and_never_forwarded(string shape, int status)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("echo").StartAsync();
        var request = shape switch
        {
            "a 40 KiB header" => $"GET /mytest HTTP/1.1\nHost: proxy\nX-Big: {new string('a', 40 * 1024)}",
            "101 headers" => "GET /mytest HTTP/1.1\nHost: proxy\n" + string.Join('\n', Enumerable.Range(0, 101).Select(i => $"X-H{i}: v")),
            _ => $"GET /mytest/{new string('a', 10 * 1024)} HTTP/1.1\nHost: proxy",
        };

        var raw = await RawHttp.SendAsync(env.Port, request);

        Assert.Equal([status], RawHttp.Statuses(raw));
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Theory]
    [InlineData("bare CR", "X-A: a\rX-Injected: yes\r\n", 400)]
    [InlineData("bare LF", "X-A: a\nX-Injected: yes\r\n", 200)]
    [InlineData("obs-fold", "X-A: a\r\n X-Injected: yes\r\n", 400)]
    [InlineData("NUL", "X-A: a\0X-Injected: yes\r\n", 400)]
    [InlineData("CRLF in the name", "X-A\r\nX-Injected: yes\r\n", 400)]
    public async Task A_header_with_CR_or_LF_never_reaches_the_function_as_more_than_one_header(string shape, string header, int expectedStatus)
    {
        await using var function = RecordingFunction();
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = function.Port).StartAsync();

        var raw = await RawHttp.SendExactAsync(env.Port, "GET /mytest HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n" + header + "\r\n");

        var status = Assert.Single(RawHttp.Statuses(raw));
        Assert.True(status == expectedStatus, $"{shape}: {raw}");
        Assert.Equal(status == 200 ? 1 : 0, function.Received.Count);
        foreach (var request in function.Received)
        {
            var (head, _) = Split(request);
            Assert.DoesNotContain('\r', head.Replace("\r\n", string.Empty, StringComparison.Ordinal));
            Assert.DoesNotContain('\n', head.Replace("\r\n", string.Empty, StringComparison.Ordinal));
            // A value the server split at a bare LF arrives as the two headers the proxy saw, never fused into one.
            Assert.All(HeaderLines(head, "X-A"), value => Assert.DoesNotContain("X-Injected", value, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_header_value_holding_CR_LF_from_the_apps_own_middleware_is_never_forwarded()
    {
        await using var function = RecordingFunction();
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo", o => o.Port = function.Port)
            .ConfigurePipeline(app => app.Use((context, next) =>
            {
                context.Request.Headers["X-From-App"] = "a\r\nX-Injected: yes";
                return next(context);
            }))
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        // A request that cannot be sent as it is: nothing of it reaches the function.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(function.Received);
    }

    // Answers every request with 200 "ok" and keeps the bytes that reached it.
    private static RawFunction RecordingFunction() => new("HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok");

    private static (string Head, string Body) Split(string request)
    {
        var end = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (request[..end], request[(end + 4)..]);
    }

    private static List<string> HeaderLines(string head, string name) =>
        head.Split("\r\n").Skip(1)
            .Where(line => line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(line => line[(name.Length + 1)..].Trim())
            .ToList();
}
