using System.Text;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The per-thread reuse of the last token and the one clock reading of a response (merge bd7ef61), from the attacker's
/// side: a token reused within its second is never one made for another backend, instance, operation's hidden query or
/// lifetime, and never outlives the lifetime or the clock it is handed out under.
/// </summary>
public sealed class DurableLinkReuseGuardTests
{
    private const string Path = "/runtime/webhooks/durabletask/instances/";
    private readonly ManualClock _clock = new();
    private readonly IDataProtectionProvider _keys = new EphemeralDataProtectionProvider();

    [Fact]
    public void A_token_reused_within_its_second_is_never_another_backends_or_instances()
    {
        var links = new DurableLinkProtector(_keys, "Hello", _clock);
        var urls = new[]
        {
            $"https://myapp.azurewebsites.net{Path}abc?taskHub=Hub&code=K1",
            $"https://backup.azurewebsites.net{Path}abc?taskHub=Hub&code=K1",
            $"https://myapp.azurewebsites.net{Path}abc?taskHub=Hub&code=K2",
            $"https://myapp.azurewebsites.net{Path}abcd?taskHub=Hub&code=K1",
            $"https://myapp.azurewebsites.net{Path}ab?c&taskHub=Hub&code=K1",
            $"https://myapp.azurewebsites.net{Path}abc?taskHub=Hub2&code=K1",
            $"https://myapp.azurewebsites.net:8443{Path}abc?taskHub=Hub&code=K1",
            $"http://myapp.azurewebsites.net{Path}abc?taskHub=Hub&code=K1",
            $"https://myapp.azurewebsites.net{Path}abc/terminate?taskHub=Hub&code=K1",
            $"https://myapp.azurewebsites.net/runtime/webhooks/durabletask/orchestrators/abc?taskHub=Hub&code=K1",
        };

        // Each on the origin it was issued for, twice in a row and interleaved, all within one second on one thread.
        foreach (var url in urls.Concat(urls).Concat(urls.Reverse()))
        {
            var sentTo = new Uri(url).GetLeftPart(UriPartial.Authority) + "/api/hello/x";
            var link = DurableUrlRewriter.Rewrite(url, RewriteScopes.For(sentTo), links);
            Assert.NotNull(link);
            var token = link![$"{RewriteScopes.MountAddress}/_durable/".Length..].Split('/', '?')[0];
            Assert.True(links.TryUnprotect(token, TimeSpan.MaxValue, out var read));
            var expected = new Uri(url);
            Assert.Equal(DurableLink.OriginOf(expected), read!.Origin);
            Assert.Equal(expected.Query.TrimStart('?'), read.HiddenQuery);
            var below = expected.AbsolutePath["/runtime/webhooks/durabletask/".Length..];
            Assert.Equal(below.EndsWith("/terminate", StringComparison.Ordinal) ? below[..^"/terminate".Length] : below, read.Resource);
        }
    }

    [Fact]
    public void A_token_reused_within_its_second_never_outlives_a_shorter_lifetime_or_a_clock_set_back()
    {
        var links = new DurableLinkProtector(_keys, "Hello", _clock);
        const string url = $"https://myapp.azurewebsites.net{Path}abc?code=K";
        var week = Token(links, url, TimeSpan.FromDays(7));

        // DurableLinksLifetime lowered within the same second: the next link lives the new lifetime, not the week.
        _clock.Now += TimeSpan.FromMilliseconds(100);
        var minute = Token(links, url, TimeSpan.FromMinutes(1));
        Assert.NotEqual(week, minute);
        _clock.Now += TimeSpan.FromMinutes(1);
        Assert.True(links.TryUnprotect(week, TimeSpan.FromDays(7), out _));
        Assert.False(links.TryUnprotect(minute, TimeSpan.FromDays(7), out _));

        // The clock set back by a tick: no token issued "later" than now is handed out.
        var now = Token(links, url, TimeSpan.FromMinutes(1));
        _clock.Now -= TimeSpan.FromTicks(1);
        var earlier = Token(links, url, TimeSpan.FromMinutes(1));
        Assert.NotEqual(now, earlier);

        // Reused within its second, a token's life ends where the first one's does, never a second later.
        _clock.Now += TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(2);
        Assert.Equal(earlier, Token(links, url, TimeSpan.FromMinutes(1)));
        _clock.Now += TimeSpan.FromMinutes(1) - TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(2);
        Assert.False(links.TryUnprotect(earlier, TimeSpan.FromDays(7), out _));
    }

    [Fact]
    public void Tokens_of_one_function_never_read_for_another_mounted_on_the_same_thread()
    {
        var hello = new DurableLinkProtector(_keys, "Hello", _clock);
        var orders = new DurableLinkProtector(_keys, "Orders", _clock);
        const string url = $"https://myapp.azurewebsites.net{Path}abc?code=K";

        // Interleaved on one thread within one second, as two mounts' responses are.
        var tokens = new[] { hello, orders, hello, orders }.Select(links => (links, Token(links, url, TimeSpan.FromDays(7)))).ToArray();

        foreach (var (made, token) in tokens)
        {
            Assert.True(made.TryUnprotect(token, TimeSpan.MaxValue, out _));
            Assert.False((made == hello ? orders : hello).TryUnprotect(token, TimeSpan.MaxValue, out _));
        }
    }

    [Fact]
    public void The_links_of_one_body_share_one_issue_time_and_expire_together()
    {
        // Links written one after the other while the clock moves must all carry the body's one reading.
        var links = new DurableLinkProtector(_keys, "Hello", _clock);
        var start = _clock.Now;
        _clock.Step = TimeSpan.FromSeconds(1);
        var body = Encoding.UTF8.GetBytes(string.Concat(
            "[",
            string.Join(',', Enumerable.Range(0, 20).Select(i => $"\"https://myapp.azurewebsites.net{Path}i{i}?code=K\"")),
            "]"));
        using var splices = new DurableJsonSplices();
        var options = new AzureFunctionProxyOptions { DurableLinksLifetime = TimeSpan.FromMinutes(1) };

        Assert.Equal(DurableJsonResult.Rewritten, DurableJson.Rewrite(body, RewriteScopes.For(options: options), links, splices));
        var tokens = splices.Splices.ToArray().Select(splice => Encoding.UTF8.GetString(splices.Replacement(splice)).Trim('"')[$"{RewriteScopes.MountAddress}/_durable/".Length..]).ToArray();

        // The clock moved a second at each reading while they were written: all of them live exactly one minute from the first.
        _clock.Step = TimeSpan.Zero;
        Assert.Equal(20, tokens.Length);
        _clock.Now = start + TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1);
        Assert.All(tokens, token => Assert.True(links.TryUnprotect(token, TimeSpan.MaxValue, out _)));
        _clock.Now = start + TimeSpan.FromMinutes(1);
        Assert.All(tokens, token => Assert.False(links.TryUnprotect(token, TimeSpan.MaxValue, out _)));
    }

    private static string Token(DurableLinkProtector links, string url, TimeSpan lifetime)
    {
        var link = DurableUrlRewriter.Rewrite(url, RewriteScopes.For(options: new AzureFunctionProxyOptions { DurableLinksLifetime = lifetime }), links);
        return link![$"{RewriteScopes.MountAddress}/_durable/".Length..].Split('/', '?')[0];
    }

    // A clock set by hand, moving Step forward after each reading.
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public TimeSpan Step { get; set; }

        public override DateTimeOffset GetUtcNow()
        {
            var now = Now;
            Now += Step;
            return now;
        }
    }
}
