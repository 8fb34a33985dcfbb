using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Turns a <see cref="DurableLink"/> into the opaque token of a link and back, with the app's ASP.NET Core Data
/// Protection under a purpose of the function's own, so a token made for one function (or by an app with other keys)
/// reads as nothing for another. Tokens expire after the function's <c>DurableLinksLifetime</c>,
/// on the app's <see cref="TimeProvider"/> alone: the expiry is part of the protected payload, not Data Protection's
/// time-limited wrapper, which would read it on the system clock too (dead links wherever the two differ). The issue
/// time is in the payload too, so a token is also bounded by the lifetime the options give when it is read: lowering
/// <c>DurableLinksLifetime</c> cuts links already issued short.
/// </summary>
/// <remarks>
/// Data Protection derives new subkeys and builds new AES and HMAC objects for every payload it protects (about 70 µs on
/// a shared 2-core machine), which a body of 300 links would pay 300 times. So a token is a <see cref="LinkKey"/>: a
/// random 256-bit key protected once by Data Protection, carried in every token, then the link under AES-GCM with that
/// key. Reading a token unprotects its key with Data Protection first, so every token is exactly as strong as Data
/// Protection's: unforgeable without the key ring, another function's or app's reads as nothing, and revoking the key
/// ring revokes them all. A link key makes tokens for a second at most (one Data Protection payload per second per
/// function), so new links are made under the key ring's current key as soon as Data Protection uses it.
/// Tokens of version 3, all Data Protection, are still read until they expire.
/// </remarks>
internal sealed class DurableLinkProtector
{
    // A link key, then the link under it with AES-GCM.
    private const byte Version = 4;

    // The whole payload protected by Data Protection (a Data Protection token begins with its magic header, 0x09).
    private const byte VersionAllDataProtection = 3;

    // Tokens issued before the issue time was in the payload: their expiry alone.
    private const byte VersionWithoutIssueTime = 2;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;

    // A Durable response names one instance up to nine times (its Location and eight URLs), each needing the same token:
    // the last token made is reused for the same link within a second, so its expiry is at most a second short.
    private static readonly TimeSpan s_reuse = TimeSpan.FromSeconds(1);

    // How long one link key makes tokens: after the key ring is revoked, links are made under a revoked key (dead at
    // once) for at most this long after Data Protection itself moved to a new key.
    private static readonly TimeSpan s_keyLife = TimeSpan.FromSeconds(1);

    private readonly IDataProtector _protector;

    // Link keys are wrapped under a purpose of their own: under the tokens' purpose a wrapped key (a Data Protection
    // payload, as a version 3 token is) would be read as a version 3 token's payload whenever its random bytes parse.
    private readonly IDataProtector _keyProtector;
    private readonly TimeProvider _time;
    private IssuedToken? _last;
    private LinkKey? _key;

    public DurableLinkProtector(IDataProtectionProvider provider, string functionName, TimeProvider time)
    {
        // Function names are case-insensitive, as configuration keys are.
        _protector = provider.CreateProtector("AzureFunctionsInvoker.DurableLinks.v1", functionName.ToUpperInvariant());
        _keyProtector = _protector.CreateProtector("LinkKey");
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

        var token = CurrentKey(now).Protect(link, now, lifetime);
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
            var bytes = WebEncoders.Base64UrlDecode(token);
            var sealedWithKey = bytes is [Version, ..];
            var payload = sealedWithKey ? LinkKey.Unprotect(_keyProtector, bytes) : _protector.Unprotect(bytes);
            if (payload is null)
            {
                return false;
            }

            using var reader = new BinaryReader(new MemoryStream(payload));
            var now = _time.GetUtcNow().UtcTicks;
            var version = reader.ReadByte();
            if ((version == Version) != sealedWithKey)
            {
                // Each format holds its own payload version only.
                return false;
            }

            if (version == VersionWithoutIssueTime)
            {
                // No issue time: what is left of it may not exceed today's lifetime.
                var expiry = reader.ReadInt64();
                if (expiry <= now || expiry - now > lifetime.Ticks)
                {
                    return false;
                }
            }
            else if (version is not (Version or VersionAllDataProtection) || now - reader.ReadInt64() >= lifetime.Ticks || reader.ReadInt64() <= now)
            {
                return false;
            }

            link = new DurableLink(reader.ReadString(), reader.ReadString(), reader.ReadString());
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or EndOfStreamException or IOException or ArgumentException)
        {
            return false;
        }
    }

    // The payload a token hides: the version, the issue time, the expiry, then the link, as BinaryWriter writes
    // them (little-endian ticks, strings as UTF-8 after their 7-bit encoded length), written into a span of its own.
    private static int PayloadLength(DurableLink link) => 17 + StringLength(link.Origin) + StringLength(link.Resource) + StringLength(link.HiddenQuery);

    private static void WritePayload(Span<byte> payload, DurableLink link, DateTimeOffset now, TimeSpan lifetime)
    {
        payload[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(payload[1..], now.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(payload[9..], (now + lifetime).UtcTicks);
        var at = 17;
        foreach (var value in (ReadOnlySpan<string>)[link.Origin, link.Resource, link.HiddenQuery])
        {
            var length = Encoding.UTF8.GetByteCount(value);
            for (var rest = (uint)length; ; rest >>= 7)
            {
                payload[at++] = (byte)(rest < 0x80 ? rest : (rest & 0x7F) | 0x80);
                if (rest < 0x80)
                {
                    break;
                }
            }

            at += Encoding.UTF8.GetBytes(value, payload[at..]);
        }
    }

    private static int StringLength(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return length + (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4);
    }

    private LinkKey CurrentKey(DateTimeOffset now)
    {
        var key = Volatile.Read(ref _key);
        if (key is null || now < key.Made || now - key.Made >= s_keyLife)
        {
            // Two requests may both make one; either is as good, and the other is collected.
            key = new LinkKey(_keyProtector, now);
            Volatile.Write(ref _key, key);
        }

        return key;
    }

    private sealed record IssuedToken(DurableLink Link, TimeSpan Lifetime, DateTimeOffset Issued, string Token);

    /// <summary>
    /// A random AES-256-GCM key and its Data Protection token (the key, protected under the function's purpose), which
    /// every token made with it carries: <c>[4][length of the key's token, 2 bytes][key's token][nonce][tag][payload]</c>,
    /// the first three parts authenticated as associated data.
    /// </summary>
    private sealed class LinkKey
    {
        // Each thread's AesGcm (one is not safe for concurrent use), for the link key it was made with: making one costs
        // OpenSSL a cipher lookup, several microseconds per token.
        [ThreadStatic]
        private static (byte[] Key, AesGcm Aes)? s_threadAes;

        private readonly byte[] _key = RandomNumberGenerator.GetBytes(KeySize);
        private readonly byte[] _header;

        // Nonces: 4 random bytes of this key's, then a count, so no two tokens of one key share one.
        private readonly uint _noncePrefix = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        private long _count;

        public LinkKey(IDataProtector protector, DateTimeOffset made)
        {
            var wrapped = protector.Protect(_key);
            _header = new byte[3 + wrapped.Length];
            _header[0] = Version;
            BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(1), checked((ushort)wrapped.Length));
            wrapped.CopyTo(_header, 3);
            Made = made;
        }

        public DateTimeOffset Made { get; }

        public string Protect(DurableLink link, DateTimeOffset now, TimeSpan lifetime)
        {
            // Sealed in place, in a pooled buffer: the token is a string, and its bytes are not kept.
            var length = _header.Length + NonceSize + TagSize + PayloadLength(link);
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var token = buffer.AsSpan(0, length);
                _header.CopyTo(token);
                var nonce = token.Slice(_header.Length, NonceSize);
                BinaryPrimitives.WriteUInt32BigEndian(nonce, _noncePrefix);
                BinaryPrimitives.WriteInt64BigEndian(nonce[4..], Interlocked.Increment(ref _count));
                var payload = token[(_header.Length + NonceSize + TagSize)..];
                WritePayload(payload, link, now, lifetime);
                Aes().Encrypt(nonce, payload, payload, token.Slice(_header.Length + NonceSize, TagSize), _header);
                return Base64Url.EncodeToString(token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private AesGcm Aes()
        {
            if (s_threadAes is { } cached && cached.Key == _key)
            {
                return cached.Aes;
            }

            s_threadAes?.Aes.Dispose();
            var aes = new AesGcm(_key, TagSize);
            s_threadAes = (_key, aes);
            return aes;
        }

        /// <summary>The payload of a version 4 <paramref name="token"/>, its key unprotected by <paramref name="protector"/>; <see langword="null"/> when it does not authenticate.</summary>
        public static byte[]? Unprotect(IDataProtector protector, byte[] token)
        {
            var headerLength = 3 + BinaryPrimitives.ReadUInt16BigEndian(token.AsSpan(1, 2));
            if (token.Length < headerLength + NonceSize + TagSize)
            {
                return null;
            }

            var key = protector.Unprotect(token[3..headerLength]);
            if (key.Length != KeySize)
            {
                return null;
            }

            var payload = new byte[token.Length - headerLength - NonceSize - TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(
                token.AsSpan(headerLength, NonceSize), token.AsSpan(headerLength + NonceSize + TagSize), token.AsSpan(headerLength + NonceSize, TagSize),
                payload, token.AsSpan(0, headerLength));
            return payload;
        }
    }
}
