using AzureFunctionsInvoker.DurableLinks;
using Microsoft.AspNetCore.DataProtection;
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
}
