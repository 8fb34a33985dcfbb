using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Turns a <see cref="DurableLink"/> into the opaque token of a link and back, with the app's ASP.NET Core Data
/// Protection: authenticated encryption under a purpose of the function's own, so a token made for one function (or by an
/// app with other keys) reads as nothing for another. Tokens expire after the function's <c>DurableLinksLifetime</c>,
/// on the app's <see cref="TimeProvider"/> alone: the expiry is part of the protected payload, not Data Protection's
/// time-limited wrapper, which would read it on the system clock too (dead links wherever the two differ). The issue
/// time is in the payload too, so a token is also bounded by the lifetime the options give when it is read: lowering
/// <c>DurableLinksLifetime</c> cuts links already issued short.
/// </summary>
internal sealed class DurableLinkProtector
{
    private const byte Version = 3;

    // Tokens issued before the issue time was in the payload: their expiry alone.
    private const byte VersionWithoutIssueTime = 2;

    // A Durable response names one instance up to nine times (its Location and eight URLs), each needing the same token:
    // the last token made is reused for the same link within a second, so its expiry is at most a second short.
    private static readonly TimeSpan s_reuse = TimeSpan.FromSeconds(1);

    private readonly IDataProtector _protector;
    private readonly TimeProvider _time;
    private IssuedToken? _last;

    public DurableLinkProtector(IDataProtectionProvider provider, string functionName, TimeProvider time)
    {
        // Function names are case-insensitive, as configuration keys are.
        _protector = provider.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", functionName.ToUpperInvariant());
        _time = time;
    }

    /// <summary>The token of <paramref name="link"/>, valid for <paramref name="lifetime"/> from now: base64url, safe in a path segment.</summary>
    public string Protect(DurableLink link, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Link == link && last.Lifetime == lifetime && now >= last.Issued && now - last.Issued < s_reuse)
        {
            return last.Token;
        }

        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload))
        {
            writer.Write(Version);
            writer.Write(now.UtcTicks);
            writer.Write((now + lifetime).UtcTicks);
            writer.Write(link.Origin);
            writer.Write(link.Resource);
            writer.Write(link.HiddenQuery);
        }

        var token = WebEncoders.Base64UrlEncode(_protector.Protect(payload.ToArray()));
        Volatile.Write(ref _last, new IssuedToken(link, lifetime, now, token));
        return token;
    }

    /// <summary>
    /// Reads <paramref name="token"/>; <see langword="false"/> when it is malformed, tampered with, expired, not this
    /// function's, or older than <paramref name="lifetime"/> (today's <c>DurableLinksLifetime</c>).
    /// </summary>
    public bool TryUnprotect(string token, TimeSpan lifetime, out DurableLink? link)
    {
        link = null;
        try
        {
            var payload = _protector.Unprotect(WebEncoders.Base64UrlDecode(token));
            using var reader = new BinaryReader(new MemoryStream(payload));
            var now = _time.GetUtcNow().UtcTicks;
            var version = reader.ReadByte();
            if (version == VersionWithoutIssueTime)
            {
                // No issue time: what is left of it may not exceed today's lifetime.
                var expiry = reader.ReadInt64();
                if (expiry <= now || expiry - now > lifetime.Ticks)
                {
                    return false;
                }
            }
            else if (version != Version || now - reader.ReadInt64() >= lifetime.Ticks || reader.ReadInt64() <= now)
            {
                return false;
            }

            link = new DurableLink(reader.ReadString(), reader.ReadString(), reader.ReadString());
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or EndOfStreamException or IOException)
        {
            return false;
        }
    }

    private sealed record IssuedToken(DurableLink Link, TimeSpan Lifetime, DateTimeOffset Issued, string Token);
}
