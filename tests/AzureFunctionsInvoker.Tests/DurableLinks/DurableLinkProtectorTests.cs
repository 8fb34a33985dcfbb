using System.Xml.Linq;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class DurableLinkProtectorTests
{
    private static readonly DurableLink s_link = new("https://myapp.azurewebsites.net:443", "instances/abc", "taskHub=Hub&connection=Storage&code=KEY");

    private readonly IDataProtectionProvider _keys = new EphemeralDataProtectionProvider();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public void A_token_reads_back_as_its_link_and_hides_it()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);

        var token = protector.Protect(s_link, TimeSpan.FromDays(7));

        Assert.True(protector.TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
        Assert.DoesNotContain("KEY", token, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", token, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_-]+$", token);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(4, true)] // instances sharing a key ring disagree a little
    [InlineData(6, false)]
    [InlineData(60, false)] // an instance an hour fast, or a clock NTP set back: its links would live an hour longer
    public void A_token_issued_ahead_of_this_clock_reads_only_within_five_minutes_of_it(int minutesAhead, bool reads)
    {
        var ahead = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromMinutes(minutesAhead));
        var token = new DurableLinkProtector(_keys, "Hello", ahead).Protect(s_link, TimeSpan.FromDays(7));

        Assert.Equal(reads, new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.FromDays(7), out _));
    }

    [Fact]
    public void A_token_from_a_clock_an_hour_fast_does_not_outlive_its_lifetime_on_the_clock_that_reads_it()
    {
        var fast = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromHours(1));
        var token = new DurableLinkProtector(_keys, "Hello", fast).Protect(s_link, TimeSpan.FromMinutes(1));

        _clock.Advance(TimeSpan.FromMinutes(2));

        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.FromMinutes(1), out _));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)] // five minutes ahead and one tick: the skew's boundary is inclusive, and no further
    public void A_token_issued_exactly_five_minutes_ahead_reads_and_a_tick_more_does_not(long extraTicks, bool reads)
    {
        var ahead = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(extraTicks));
        var token = new DurableLinkProtector(_keys, "Hello", ahead).Protect(s_link, TimeSpan.FromDays(7));

        Assert.Equal(reads, new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void A_token_from_a_fast_clock_with_a_lifetime_shorter_than_the_skew_lives_at_most_five_minutes_longer()
    {
        // Lifetime one minute, issued five minutes ahead: it reads until the reading clock reaches its own expiry (six
        // minutes from now), never after, whatever lifetime the reader is given.
        var ahead = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromMinutes(5));
        var token = new DurableLinkProtector(_keys, "Hello", ahead).Protect(s_link, TimeSpan.FromMinutes(1));
        var reader = new DurableLinkProtector(_keys, "Hello", _clock);

        Assert.True(reader.TryUnprotect(token, TimeSpan.FromMinutes(1), out _));
        _clock.Advance(TimeSpan.FromMinutes(6) - TimeSpan.FromTicks(1));
        Assert.True(reader.TryUnprotect(token, TimeSpan.FromMinutes(1), out _));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(reader.TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void Lowering_the_lifetime_to_one_second_cuts_a_token_from_a_fast_clock_to_the_skew_and_a_second()
    {
        var ahead = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromMinutes(5));
        var token = new DurableLinkProtector(_keys, "Hello", ahead).Protect(s_link, TimeSpan.FromDays(7));
        var reader = new DurableLinkProtector(_keys, "Hello", _clock);

        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.True(reader.TryUnprotect(token, TimeSpan.FromSeconds(1), out _));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(reader.TryUnprotect(token, TimeSpan.FromSeconds(1), out _));
    }

    [Theory]
    [InlineData(long.MaxValue, long.MaxValue)]
    [InlineData(long.MinValue, long.MaxValue)]
    [InlineData(long.MinValue + 1, long.MaxValue)]
    [InlineData(long.MaxValue, long.MinValue)]
    public void Issue_times_at_the_ends_of_the_tick_range_read_as_nothing_and_throw_nothing(long issued, long expiry)
    {
        // Version 3 (a payload under Data Protection alone) lets a test set any times; the check is version 4's too.
        // Before the skew check, an issue time of long.MinValue read: now - issued wrapped to a negative age.
        var token = DataProtectionToken(3, issued, expiry);

        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(0L)] // exactly there: issued - now is long.MinValue, and now - issued wraps back to it
    [InlineData(1L)]
    public void Issue_times_at_and_a_tick_either_side_of_where_now_minus_issue_wraps_read_as_nothing(long offset)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        var token = DataProtectionToken(3, unchecked(now + long.MinValue + offset), long.MaxValue);

        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(0L)]
    public void Issue_times_before_the_calendar_read_as_older_than_any_lifetime_short_of_forever(long issued) =>
        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(DataProtectionToken(3, issued, long.MaxValue), TimeSpan.FromDays(36_500), out _));

    // The other end of the range: a clock's first tick is an issue time like any other.
    [Fact]
    public void A_token_issued_at_the_first_tick_of_the_calendar_reads()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", new FakeTimeProvider(DateTimeOffset.MinValue));

        Assert.True(protector.TryUnprotect(protector.Protect(s_link, TimeSpan.FromHours(1)), TimeSpan.FromHours(1), out var link));
        Assert.Equal(s_link, link);
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(6, false)] // version 3 reads its issue time as version 4 does
    public void A_Data_Protection_token_issued_ahead_reads_only_within_five_minutes(int minutesAhead, bool reads)
    {
        var issued = _clock.GetUtcNow() + TimeSpan.FromMinutes(minutesAhead);
        var token = DataProtectionToken(3, issued.UtcTicks, (issued + TimeSpan.FromMinutes(10)).UtcTicks);

        Assert.Equal(reads, new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(0L)]
    public void A_token_without_an_issue_time_at_the_ends_of_the_tick_range_reads_as_nothing(long expiry) =>
        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(DataProtectionToken(2, expiry), TimeSpan.FromDays(7), out _));

    [Fact]
    public void A_token_without_an_issue_time_cannot_outlive_todays_lifetime_from_a_fast_clock()
    {
        // Version 2 has no issue time to hold against the skew, but what is left of it is bounded by today's lifetime.
        var token = DataProtectionToken(2, (_clock.GetUtcNow() + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1)).UtcTicks);

        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.FromMinutes(1), out _));
    }

    [Fact]
    public void A_token_reused_within_a_second_is_not_reused_after_the_clock_went_back_and_reads_only_within_the_skew()
    {
        // A fast clock NTP set back an hour: the token made before is not handed out again, and the one made after reads.
        var clock = new SettableClock { Now = _clock.GetUtcNow() + TimeSpan.FromHours(1) };
        var protector = new DurableLinkProtector(_keys, "Hello", clock);
        var fast = protector.Protect(s_link, TimeSpan.FromDays(7));

        clock.Now = _clock.GetUtcNow();
        var after = protector.Protect(s_link, TimeSpan.FromDays(7));

        Assert.NotEqual(fast, after);
        Assert.False(protector.TryUnprotect(fast, TimeSpan.MaxValue, out _));
        Assert.True(protector.TryUnprotect(after, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void A_token_reused_within_a_second_carries_its_first_issue_time()
    {
        // Reuse never moves a token's issue time: reused half a second later, it still expires a lifetime after it was made.
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var first = protector.Protect(s_link, TimeSpan.FromMinutes(1));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        var reused = protector.Protect(s_link, TimeSpan.FromMinutes(1));

        Assert.Equal(first, reused);
        _clock.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromMilliseconds(500));
        Assert.False(protector.TryUnprotect(reused, TimeSpan.MaxValue, out _));
    }

    // Protect adds the lifetime to now: TimeSpan.MaxValue throws rather than wrapping to an expiry in the past or future.
    [Fact]
    public void A_lifetime_too_long_for_the_calendar_makes_no_token() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DurableLinkProtector(_keys, "Hello", _clock).Protect(s_link, TimeSpan.MaxValue));

    [Fact]
    public void Function_names_are_case_insensitive_but_another_function_reads_nothing()
    {
        var token = new DurableLinkProtector(_keys, "Hello", _clock).Protect(s_link, TimeSpan.FromDays(7));

        Assert.True(new DurableLinkProtector(_keys, "HELLO", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
        Assert.False(new DurableLinkProtector(_keys, "Orders", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void Another_apps_keys_read_nothing()
    {
        var token = new DurableLinkProtector(_keys, "Hello", _clock).Protect(s_link, TimeSpan.FromDays(7));

        Assert.False(new DurableLinkProtector(new EphemeralDataProtectionProvider(), "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void A_token_expires_on_the_apps_clock()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var token = protector.Protect(s_link, TimeSpan.FromMinutes(10));

        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.True(protector.TryUnprotect(token, TimeSpan.MaxValue, out _));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(protector.TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData(-365 * 30)] // a test's fake clock, which starts in 2000
    [InlineData(365 * 30)]
    public void A_token_lives_its_lifetime_on_the_apps_clock_however_far_that_is_from_the_systems(int days)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(days));
        var protector = new DurableLinkProtector(_keys, "Hello", clock);
        var token = protector.Protect(s_link, TimeSpan.FromMinutes(10));

        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.True(protector.TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(protector.TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAAA")]
    [InlineData("not base64url!")]
    [InlineData("CfDJ8")]
    public void Garbage_reads_as_nothing(string token)
    {
        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    [Fact]
    public void Every_bit_flipped_reads_as_nothing()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protector.Protect(s_link, TimeSpan.FromDays(7)));

        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            Assert.False(protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(tampered), TimeSpan.MaxValue, out _), $"byte {i}");
        }
    }

    [Fact]
    public async Task Revoking_the_key_ring_revokes_every_token_and_the_next_ones_read()
    {
        // A key ring kept in memory, where a file-system one would be: revocation works the same.
        var services = new ServiceCollection().AddDataProtection().Services;
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = new MemoryKeyRing());
        using var provider = services.BuildServiceProvider();
        var keys = provider.GetRequiredService<IDataProtectionProvider>();
        var protector = new DurableLinkProtector(keys, "Hello", _clock);
        var before = protector.Protect(s_link, TimeSpan.FromDays(7));
        var dataProtection = keys.CreateProtector("control");
        var control = dataProtection.Protect([1, 2, 3]);
        Assert.True(protector.TryUnprotect(before, TimeSpan.MaxValue, out _));

        provider.GetRequiredService<IKeyManager>().RevokeAllKeys(DateTimeOffset.UtcNow, "test");

        // Data Protection reloads its key ring in the background: from when it refuses its own payloads, the links'
        // are refused too, and a link made a link key's life (a second) later reads.
        await Eventually.HoldsAsync(() => !Reads(dataProtection, control), TimeSpan.FromSeconds(30), "Data Protection refuses its revoked key");
        Assert.False(protector.TryUnprotect(before, TimeSpan.MaxValue, out _));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var after = protector.Protect(s_link, TimeSpan.FromDays(7));
        Assert.True(protector.TryUnprotect(after, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
    }

    [Fact]
    public void Tokens_protected_whole_by_Data_Protection_still_read_until_they_expire()
    {
        // Version 3, as links were made before the link key: the whole payload under Data Protection.
        var now = _clock.GetUtcNow();
        var token = DataProtectionToken(3, now.UtcTicks, (now + TimeSpan.FromMinutes(10)).UtcTicks);
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);

        Assert.True(protector.TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(protector.TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void Tokens_without_an_issue_time_read_while_what_is_left_of_them_is_within_todays_lifetime()
    {
        // Version 2, as links were made before the issue time was in the token: its expiry alone, under Data Protection
        // (configuration.md: "valid while what is left of their lifetime is within today's").
        var token = DataProtectionToken(2, (_clock.GetUtcNow() + TimeSpan.FromMinutes(10)).UtcTicks);
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);

        Assert.True(protector.TryUnprotect(token, TimeSpan.FromMinutes(10), out var link));
        Assert.Equal(s_link, link);
        Assert.False(protector.TryUnprotect(token, TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1), out link));
        Assert.Null(link);

        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.True(protector.TryUnprotect(token, TimeSpan.FromTicks(1), out _));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(protector.TryUnprotect(token, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)] // the link key's version, without a link key
    [InlineData(5)]
    public void A_Data_Protection_token_of_another_version_reads_as_nothing(byte version)
    {
        var now = _clock.GetUtcNow();
        var token = DataProtectionToken(version, now.UtcTicks, (now + TimeSpan.FromMinutes(10)).UtcTicks);

        Assert.False(new DurableLinkProtector(_keys, "Hello", _clock).TryUnprotect(token, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    [Fact]
    public void A_token_cut_short_or_with_its_key_from_another_token_reads_as_nothing()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var first = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protector.Protect(s_link, TimeSpan.FromDays(7)));
        var other = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(
            new DurableLinkProtector(_keys, "Hello", _clock).Protect(s_link with { Resource = "instances/xyz" }, TimeSpan.FromDays(7)));

        for (var length = 0; length < first.Length; length += 7)
        {
            Assert.False(protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(first[..length]), TimeSpan.MaxValue, out _), $"{length} bytes");
        }

        // The other token's link key (same length) in front of this token's sealed link.
        var keyLength = 3 + ((first[1] << 8) | first[2]);
        var spliced = other[..keyLength].Concat(first[keyLength..]).ToArray();
        Assert.False(protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(spliced), TimeSpan.MaxValue, out _));
    }

    [Fact]
    public void A_tokens_link_key_is_wrapped_under_a_purpose_no_token_is_read_under()
    {
        // Under the tokens' own purpose, the wrapped key alone (a Data Protection payload) was a version 3 token whose
        // payload was the key's random bytes: read as a link whenever they happened to parse.
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(new DurableLinkProtector(_keys, "Hello", _clock).Protect(s_link, TimeSpan.FromDays(7)));
        var wrapped = bytes[3..(3 + ((bytes[1] << 8) | bytes[2]))];

        Assert.False(Reads(_keys.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", "HELLO"), wrapped));
        Assert.True(Reads(_keys.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", "HELLO", "LinkKey"), wrapped));
    }

    [Fact]
    public void Links_made_within_a_second_share_a_link_key_but_never_a_nonce_and_a_new_key_has_its_own_nonces()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var first = Parts(protector.Protect(s_link, TimeSpan.FromDays(7)));
        _clock.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        var second = Parts(protector.Protect(s_link with { Resource = "instances/def" }, TimeSpan.FromDays(7)));
        _clock.Advance(TimeSpan.FromTicks(1));
        var renewed = Parts(protector.Protect(s_link with { Resource = "instances/ghi" }, TimeSpan.FromDays(7)));

        Assert.Equal(first.WrappedKey, second.WrappedKey);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.WrappedKey, renewed.WrappedKey);

        // The first token of each key: their nonces differ in the key's own random prefix.
        Assert.NotEqual(first.Nonce, renewed.Nonce);
    }

    [Fact]
    public void A_clock_that_went_back_gets_a_new_link_key_and_a_new_token()
    {
        var clock = new SettableClock { Now = DateTimeOffset.UtcNow };
        var protector = new DurableLinkProtector(_keys, "Hello", clock);
        var token = protector.Protect(s_link, TimeSpan.FromDays(7));

        clock.Now -= TimeSpan.FromMilliseconds(500);
        var earlier = protector.Protect(s_link, TimeSpan.FromDays(7));

        Assert.NotEqual(token, earlier);
        Assert.NotEqual(Parts(token).WrappedKey, Parts(earlier).WrappedKey);
        Assert.True(protector.TryUnprotect(earlier, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
    }

    [Fact]
    public void The_last_token_is_reused_only_by_the_function_that_made_it()
    {
        // The last token is kept per thread: another function's protector on the same thread must make its own.
        var hello = new DurableLinkProtector(_keys, "Hello", _clock);
        var other = new DurableLinkProtector(_keys, "Other", _clock);

        var helloToken = hello.Protect(s_link, TimeSpan.FromDays(7));
        var otherToken = other.Protect(s_link, TimeSpan.FromDays(7));

        Assert.NotEqual(helloToken, otherToken);
        Assert.True(other.TryUnprotect(otherToken, TimeSpan.MaxValue, out var link));
        Assert.Equal(s_link, link);
        Assert.False(other.TryUnprotect(helloToken, TimeSpan.MaxValue, out _));
        Assert.True(hello.TryUnprotect(hello.Protect(s_link, TimeSpan.FromDays(7)), TimeSpan.MaxValue, out link));
        Assert.Equal(s_link, link);
    }

    [Fact]
    public void The_same_link_within_a_second_gets_the_same_token_and_anything_else_a_new_one()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var token = protector.Protect(s_link, TimeSpan.FromDays(7));

        _clock.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.Equal(token, protector.Protect(s_link, TimeSpan.FromDays(7)));
        Assert.NotEqual(token, protector.Protect(s_link, TimeSpan.FromDays(6)));

        var other = s_link with { Resource = "instances/def" };
        var otherToken = protector.Protect(other, TimeSpan.FromDays(7));
        Assert.NotEqual(token, otherToken);
        Assert.True(protector.TryUnprotect(otherToken, TimeSpan.MaxValue, out var link));
        Assert.Equal(other, link);

        // Another link between them: a thread keeps its recent tokens, not only its last, so the first is written again.
        var again = protector.Protect(s_link, TimeSpan.FromDays(7));
        Assert.Equal(token, again);
        Assert.Equal(again, protector.Protect(s_link, TimeSpan.FromDays(7)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var later = protector.Protect(s_link, TimeSpan.FromDays(7));
        Assert.NotEqual(again, later);
        Assert.True(protector.TryUnprotect(later, TimeSpan.MaxValue, out link));
        Assert.Equal(s_link, link);
    }

    [Fact]
    public void A_thread_keeps_the_tokens_of_as_many_links_as_a_body_may_seal_and_seals_again_past_them()
    {
        // 33 links in turn, each sealed once however often they come back within the second; the 34th link's token takes
        // the oldest's place, so that one is sealed anew.
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var links = Enumerable.Range(0, DurableJson.MaxSealedLinks + 1).Select(i => s_link with { Resource = $"instances/i{i}" }).ToArray();
        var first = links[..DurableJson.MaxSealedLinks].Select(link => protector.Protect(link, TimeSpan.FromDays(7))).ToArray();

        Assert.Equal(DurableJson.MaxSealedLinks, first.Distinct().Count());
        Assert.Equal(first, links[..DurableJson.MaxSealedLinks].Reverse().Select(link => protector.Protect(link, TimeSpan.FromDays(7))).Reverse());
        var extra = protector.Protect(links[^1], TimeSpan.FromDays(7));
        Assert.DoesNotContain(extra, first);
        Assert.NotEqual(first[0], protector.Protect(links[0], TimeSpan.FromDays(7)));
        Assert.Equal(first[^1], protector.Protect(links[DurableJson.MaxSealedLinks - 1], TimeSpan.FromDays(7)));
        Assert.True(protector.TryUnprotect(extra, TimeSpan.MaxValue, out var read));
        Assert.Equal(links[^1], read);
    }

    [Fact]
    public void A_token_is_read_until_exactly_the_lifetime_given_when_reading_has_passed_since_it_was_issued()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var token = protector.Protect(s_link, TimeSpan.FromDays(7));

        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.True(protector.TryUnprotect(token, TimeSpan.FromMinutes(5), out _));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(protector.TryUnprotect(token, TimeSpan.FromMinutes(5), out _));
        Assert.True(protector.TryUnprotect(token, TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(200)]
    [InlineData(16_383)]
    [InlineData(16_384)]
    [InlineData(20_000)]
    [InlineData(2_097_151)]
    [InlineData(2_097_152)]
    public void Links_with_long_parts_read_back_whole_from_a_sealed_payload_of_their_exact_length(int length)
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        // Parts of exactly length UTF-8 bytes: the 7-bit length prefix takes one more byte from 128, 16,384 and 2,097,152.
        var link = new DurableLink(s_link.Origin, new string('r', length), length < 2 ? string.Empty : "\u00e9" + new string('q', length - 2));

        var token = protector.Protect(link, TimeSpan.FromDays(7));

        Assert.True(protector.TryUnprotect(token, TimeSpan.MaxValue, out var read));
        Assert.Equal(link, read);

        // The sealed payload is the link as BinaryWriter writes it and not a byte more: a longer one would seal whatever
        // the pooled buffer held after it, and make the link longer.
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(token);
        var headerLength = 3 + ((bytes[1] << 8) | bytes[2]);
        Assert.Equal(Payload(4, link, 0, 0).Length, bytes.Length - headerLength - 12 - 16);
    }

    [Fact]
    public void Links_made_at_the_same_instant_share_a_link_key()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);

        var first = Parts(protector.Protect(s_link, TimeSpan.FromDays(7)));
        var second = Parts(protector.Protect(s_link with { Resource = "instances/def" }, TimeSpan.FromDays(7)));

        Assert.Equal(first.WrappedKey, second.WrappedKey);
    }

    [Theory]
    [InlineData(65_535)]
    [InlineData(65_536)]
    public void A_link_key_wrapped_too_long_for_the_tokens_length_field_makes_no_token_that_does_not_read(int wrappedLength)
    {
        // The 2-byte length of the wrapped key holds at most 65,535: an app's Data Protection that wraps a key longer
        // fails to make the link rather than hand out one whose key cannot be found again.
        var protector = new DurableLinkProtector(new PaddingProtector(wrappedLength - 32), "Hello", _clock);

        var made = Record.Exception(() => protector.Protect(s_link, TimeSpan.FromDays(7)));
        if (made is null)
        {
            Assert.True(protector.TryUnprotect(protector.Protect(s_link, TimeSpan.FromDays(7)), TimeSpan.MaxValue, out var link));
            Assert.Equal(s_link, link);
        }

        Assert.Equal(wrappedLength > 65_535, made is not null);
    }

    [Theory]
    [InlineData(16, false)]
    [InlineData(24, false)]
    [InlineData(32, true)]
    public void A_link_key_of_other_than_256_bits_reads_as_nothing(int keySize, bool reads)
    {
        // Tokens sealed in the documented format with the key ring's own link-key purpose, differing only in the key's size:
        // AES-GCM takes 128- and 192-bit keys too, but no link key is one.
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(keySize);
        var wrapped = _keys.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", "HELLO", "LinkKey").Protect(key);
        var now = _clock.GetUtcNow();
        var payload = Payload(4, s_link, now.UtcTicks, (now + TimeSpan.FromMinutes(10)).UtcTicks);
        var token = new byte[3 + wrapped.Length + 12 + 16 + payload.Length];
        token[0] = 4;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(token.AsSpan(1), (ushort)wrapped.Length);
        wrapped.CopyTo(token, 3);
        var header = token.AsSpan(0, 3 + wrapped.Length);
        var nonce = token.AsSpan(header.Length, 12);
        using (var aes = new System.Security.Cryptography.AesGcm(key, 16))
        {
            aes.Encrypt(nonce, payload, token.AsSpan(header.Length + 28), token.AsSpan(header.Length + 12, 16), header);
        }

        var protector = new DurableLinkProtector(_keys, "Hello", _clock);

        Assert.Equal(reads, protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(token), TimeSpan.MaxValue, out var link));
        Assert.Equal(reads ? s_link : null, link);
    }

    [Fact]
    public void A_token_without_a_sealed_link_reads_as_nothing()
    {
        var protector = new DurableLinkProtector(_keys, "Hello", _clock);
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protector.Protect(s_link, TimeSpan.FromDays(7)));
        var headerLength = 3 + ((bytes[1] << 8) | bytes[2]);

        Assert.False(protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(bytes[..(headerLength + 12 + 16)]), TimeSpan.MaxValue, out _));
    }

    // The documented token format: [4][length of the key's token, 2 bytes][key's token][nonce, 12 bytes][tag][payload].
    private static (string WrappedKey, string Nonce) Parts(string token)
    {
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(token);
        var headerLength = 3 + ((bytes[1] << 8) | bytes[2]);
        return (Convert.ToHexString(bytes[3..headerLength]), Convert.ToHexString(bytes[headerLength..(headerLength + 12)]));
    }

    // A token of the versions before the link key: the payload of version with the times given, under Data Protection
    // with the tokens' purpose for the function Hello.
    private string DataProtectionToken(byte version, params long[] ticks) =>
        Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(
            _keys.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", "HELLO").Protect(Payload(version, s_link, ticks)));

    // A token's payload as BinaryWriter writes it: the version, the times (issue time and expiry, or the expiry alone
    // in version 2), then the link's three strings.
    private static byte[] Payload(byte version, DurableLink link, params long[] ticks)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload))
        {
            writer.Write(version);
            foreach (var time in ticks)
            {
                writer.Write(time);
            }

            writer.Write(link.Origin);
            writer.Write(link.Resource);
            writer.Write(link.HiddenQuery);
        }

        return payload.ToArray();
    }

    private static bool Reads(IDataProtector protector, byte[] payload)
    {
        try
        {
            protector.Unprotect(payload);
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private sealed class MemoryKeyRing : IXmlRepository
    {
        private readonly List<XElement> _elements = [];

        public IReadOnlyCollection<XElement> GetAllElements()
        {
            lock (_elements)
            {
                return [.. _elements];
            }
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            lock (_elements)
            {
                _elements.Add(element);
            }
        }
    }

    // An app's Data Protection that wraps a payload in padding bytes of its own (the link key's wrapped length then
    // is the key's 32 bytes plus the padding).
    private sealed class PaddingProtector(int padding) : IDataProtector
    {
        public IDataProtector CreateProtector(string purpose) => this;

        public byte[] Protect(byte[] plaintext) => [.. new byte[padding], .. plaintext];

        public byte[] Unprotect(byte[] protectedData) => protectedData[padding..];
    }

    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
