using System.Text;
using System.Text.Json;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The review of the byte-level rewriting (merge bd7ef61) from the attacker's side: whatever a body's management URL
/// looks like, what <see cref="RewrittenJsonCopier"/> would pass holds no system key; the links of one body are put back
/// at the right offsets, escaped as the function escaped them, each reading back as its own URL.
/// </summary>
public sealed class DurableJsonLeakGuardTests
{
    private const string Origin = "myapp.azurewebsites.net";
    private readonly DurableLinkProtector _links = RewriteScopes.Links();

    [Theory]
    [InlineData("""HTTPS://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""HtTpS://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""\u0068ttps://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""\u0048TTP\u0053://{origin}/runtime/webhooks/durable\u0074ask/instances/abc?code=SECRET""")]
    [InlineData("""https:\/\/{origin}\/runtime\/webhooks\/durabletask\/instances\/abc?code=SECRET""")]
    [InlineData("""https:\u002F\u002F{origin}\u002Fruntime\u002Fwebhooks\u002Fdurabletask\u002Finstances\u002Fabc?code=SECRET""")]
    [InlineData("""https://MYAPP.azurewebsites.net:443/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""https://{origin}/RUNTIME/webhooks/DurableTask/instances/abc?code=SECRET""")]
    [InlineData("""httpſ://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""http\u017F://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData(""" https://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    [InlineData("""http://{origin}/runtime/webhooks/durabletask/instances/abc?code=SECRET""")]
    public void No_spelling_of_the_origins_scheme_passes_a_management_url_with_its_key(string url)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"statusQueryGetUri":"{{url.Replace("{origin}", Origin, StringComparison.Ordinal)}}"}""");

        Assert.DoesNotContain("SECRET", Passed(body) ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_character_in_place_of_a_scheme_letter_is_rewritten_when_it_is_that_letter_in_any_case_and_else_refused()
    {
        // The byte prefilter compares the scheme on its bytes, RewriteScope.TrySplit on .NET's OrdinalIgnoreCase: a URL must be
        // rewritten when its scheme is the origin's in any ASCII case, and refused by the leftover scan otherwise,
        // whatever takes a letter's place (Latin letters, the long s, the dotless i, the Kelvin sign, fullwidth letters).
        var characters = Enumerable.Range(0, 0x250).Concat([0x017F, 0x0131, 0x212A, 0xFF28, 0xFF48, 0xFF54, 0xFF50, 0xFF53, 0x1E61]);
        var wrong = new List<string>();
        for (var position = 0; position < "https".Length; position++)
        {
            foreach (var c in characters.Where(c => c is not ('"' or '\\') && !char.IsControl((char)c)))
            {
                var scheme = string.Concat("https".AsSpan(0, position), ((char)c).ToString(), "https".AsSpan(position + 1));
                var body = Encoding.UTF8.GetBytes($$"""{"u":"{{scheme}}://{{Origin}}/runtime/webhooks/durabletask/instances/abc?code=SECRET"}""");
                var passed = Passed(body);
                var letter = char.ToLowerInvariant((char)c) == "https"[position] && c < 0x80;
                if (passed?.Contains("SECRET", StringComparison.Ordinal) == true || (letter && passed?.Contains("/_durable/", StringComparison.Ordinal) != true))
                {
                    wrong.Add($"U+{c:X4} at {position}: {passed ?? "refused"}");
                }
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public void Links_after_a_discarded_url_and_around_re_escaped_ones_are_put_back_at_their_own_offsets()
    {
        // A string on the scheme that is not a management URL is begun as a link and discarded; a link whose query must be
        // escaped is re-encoded in place: the splices after each must still hold their own links, the body stay JSON.
        var management = $"https://{Origin}/runtime/webhooks/durabletask/instances";
        var body = Encoding.UTF8.GetBytes($$"""
            ["https://{{Origin}}/api/not-a-management-url-but-long-enough",
             "{{management}}/one?reason=<b>'\"\u003c&code=SECRET",
             "https://other.example.net/api/also-long-enough-for-the-prefilter",
             "{{management}}/two/terminate?code=SECRET#frag<>",
             "https://{{Origin}}/api/discarded-again-xxxxxxxxxxxxxxxxxxxxxxxxx",
             "{{management}}/three?code=SECRET"]
            """);

        var passed = Passed(body);

        Assert.NotNull(passed);
        Assert.DoesNotContain("SECRET", passed, StringComparison.Ordinal);
        foreach (var raw in new[] { "<", ">", "'", "&" })
        {
            // The strings around the links hold none: each must have come out of a link as the default encoder's escape.
            Assert.DoesNotContain(raw, passed, StringComparison.Ordinal);
        }

        var strings = JsonSerializer.Deserialize<string[]>(passed)!;
        Assert.Equal(6, strings.Length);
        Assert.Equal($"https://{Origin}/api/not-a-management-url-but-long-enough", strings[0]);
        Assert.Equal("https://other.example.net/api/also-long-enough-for-the-prefilter", strings[2]);
        Assert.Equal($"https://{Origin}/api/discarded-again-xxxxxxxxxxxxxxxxxxxxxxxxx", strings[4]);
        Assert.Equal(("instances/one", "reason=<b>'\"<"), Read(strings[1]));
        Assert.EndsWith("/terminate#frag<>", strings[3], StringComparison.Ordinal);
        Assert.Equal(("instances/two", string.Empty), Read(strings[3]));
        Assert.Equal(("instances/three", string.Empty), Read(strings[5]));
    }

    [Fact]
    public void Concurrent_bodies_each_get_their_own_instances_links()
    {
        // Buffers are pooled and the last token is kept per thread: bodies rewritten at once on many threads, some failing
        // half-way (JSON broken after their links), must each get links that read back as their own instances only.
        var failures = new List<string>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var id = $"i{i}";
            var url = $"https://{Origin}/runtime/webhooks/durabletask/instances/{id}?taskHub=Hub{i}&code=SECRET{i}";
            var broken = i % 3 == 0;
            var body = Encoding.UTF8.GetBytes(broken
                ? $$"""["{{url}}","{{url}}/terminate",1,,"""
                : $$"""{"id":"{{id}}","a":"{{url}}","b":"{{url.Replace("?", "/raiseEvent/E?", StringComparison.Ordinal)}}","c":"{{url}}"}""");
            var passed = Passed(body);
            lock (failures)
            {
                if (broken ? passed is not null : passed is null || passed.Contains("SECRET", StringComparison.Ordinal))
                {
                    failures.Add($"{id}: {passed}");
                    return;
                }

                if (passed is not null)
                {
                    foreach (var property in JsonDocument.Parse(passed).RootElement.EnumerateObject().Where(p => p.Name != "id"))
                    {
                        var (resource, _) = Read(property.Value.GetString()!);
                        if (resource != $"instances/{id}")
                        {
                            failures.Add($"{id}.{property.Name}: {resource}");
                        }
                    }
                }
            }
        });

        Assert.Empty(failures);
    }

    // What RewrittenJsonCopier passes of the body: the body with its links in place, or null when it refuses it (502).
    private string? Passed(byte[] body)
    {
        using var splices = new DurableJsonSplices();
        var result = DurableJson.Rewrite(body, RewriteScopes.For(), _links, splices);
        if (result is DurableJsonResult.Unreadable or DurableJsonResult.OverBudget)
        {
            return null;
        }

        var passed = new List<byte>();
        var copied = 0;
        foreach (var splice in splices.Splices)
        {
            if (ManagementUrlScan.Holds(body.AsSpan(copied, splice.Start - copied)))
            {
                return null;
            }

            passed.AddRange(body.AsSpan(copied, splice.Start - copied));
            passed.AddRange(splices.Replacement(splice));
            copied = splice.End;
        }

        if (ManagementUrlScan.Holds(body.AsSpan(copied)))
        {
            return null;
        }

        passed.AddRange(body.AsSpan(copied));
        return Encoding.UTF8.GetString(passed.ToArray());
    }

    // The resource a link's token names and the link's visible query, its token read by the function's protector.
    private (string Resource, string Visible) Read(string link)
    {
        Assert.StartsWith($"{RewriteScopes.MountAddress}/_durable/", link, StringComparison.Ordinal);
        var rest = link[$"{RewriteScopes.MountAddress}/_durable/".Length..];
        var fragment = rest.IndexOf('#');
        rest = fragment < 0 ? rest : rest[..fragment];
        var query = rest.IndexOf('?');
        var token = (query < 0 ? rest : rest[..query]).Split('/')[0];
        Assert.True(_links.TryUnprotect(token, TimeSpan.MaxValue, out var read), link);
        Assert.DoesNotContain("reason", read!.HiddenQuery, StringComparison.Ordinal);
        return (read.Resource, query < 0 ? string.Empty : Uri.UnescapeDataString(rest[(query + 1)..]));
    }
}
