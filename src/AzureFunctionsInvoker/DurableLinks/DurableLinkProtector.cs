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
/// Tokens of version 3, all Data Protection, are still read until they expire. Links are sealed with the platform's
/// <see cref="AesGcm"/> only (each thread's, per link key), never a hand-written cipher: its Encrypt call (about 1.4 µs
/// with OpenSSL 3, whatever the size) is the floor of a rewritten link's cost. A body's links are written as base64url
/// bytes straight into the rewritten body's buffer, and a thread's recent tokens are reused for the same link within a second.
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

    // Where the link begins in a payload: after the version, the issue time and the expiry.
    private const int PayloadLinkStart = 17;

    // How long one link key makes tokens: after the key ring is revoked, links are made under a revoked key (dead at
    // once) for at most this long after Data Protection itself moved to a new key.
    private static readonly TimeSpan s_keyLife = TimeSpan.FromSeconds(1);

    // How far ahead of this app's clock a token's issue time may be: instances sharing a key ring disagree a little, and
    // a token made on one running ahead would otherwise live that much longer (as JWT validation allows 5 minutes).
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(5);

    private readonly IDataProtector _protector;

    // Link keys are wrapped under a purpose of their own: under the tokens' purpose a wrapped key (a Data Protection
    // payload, as a version 3 token is) would be read as a version 3 token's payload whenever its random bytes parse.
    private readonly IDataProtector _keyProtector;
    private readonly TimeProvider _time;
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
        var token = new ArrayBufferWriter<byte>();
        Protect(link.Origin, link.Resource, link.HiddenQuery, lifetime, Now, token);
        return Encoding.ASCII.GetString(token.WrittenSpan);
    }

    /// <summary>The time on the app's clock, as tokens are issued at.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// Writes the token of the link to <paramref name="resource"/> with <paramref name="hiddenQuery"/> on
    /// <paramref name="origin"/>, valid for <paramref name="lifetime"/> from <paramref name="now"/> (<see cref="Now"/>,
    /// read once for all the links of a body), to <paramref name="output"/> as base64url bytes: the links of a body are
    /// written without a string of their own. Says whether a new token was sealed (<see langword="false"/>: a token this
    /// thread made for the same link within a second was written again), which is what a link costs.
    /// </summary>
    public bool Protect(string origin, ReadOnlySpan<char> resource, ReadOnlySpan<char> hiddenQuery, TimeSpan lifetime, DateTimeOffset now, IBufferWriter<byte> output)
    {
        var key = CurrentKey(now);
        var payloadLength = PayloadLength(origin, resource, hiddenQuery);
        var length = key.TokenLength(payloadLength);
        var buffer = ArrayPool<byte>.Shared.Rent(length + payloadLength);
        try
        {
            // The payload first, after the token: it says whether a recent token is this link's.
            var token = buffer.AsSpan(0, length);
            var payload = buffer.AsSpan(length, payloadLength);
            WritePayload(payload, origin, resource, hiddenQuery, now, lifetime);
            var recent = RecentTokens.Of(this);
            if (recent.TryWrite(payload[PayloadLinkStart..], lifetime, now, output))
            {
                return false;
            }

            key.Seal(payload, token);
            var encoded = output.GetSpan(Base64Url.GetEncodedLength(length));
            var header = key.EncodedHeader;
            header.Span.CopyTo(encoded);
            var written = header.Length + Base64Url.EncodeToUtf8(token[key.EncodedHeaderSource..], encoded[header.Length..]);
            recent.Keep(payload[PayloadLinkStart..], lifetime, now, encoded[..written]);
            output.Advance(written);
            return true;
        }
        finally
        {
            // The payload holds the hidden parameters (the system key): cleared before another renter of the pool sees it.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Reads <paramref name="token"/>; <see langword="false"/> when it is malformed, tampered with, expired, not this
    /// function's, older than <paramref name="lifetime"/> (today's <c>DurableLinksLifetime</c>), or issued more than five
    /// minutes ahead of this app's clock.
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
            else if (version is not (Version or VersionAllDataProtection) || !IsLive(reader.ReadInt64(), reader.ReadInt64(), now, lifetime))
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

    // Issued no further ahead of now than clocks may disagree, less than today's lifetime ago, and not yet expired. A
    // clock's ticks are never negative, and with both of them at or above zero no difference below can wrap.
    private static bool IsLive(long issued, long expiry, long now, TimeSpan lifetime) =>
        issued >= 0 && issued <= now + s_clockSkew.Ticks && now - issued < lifetime.Ticks && expiry > now;

    // The payload a token hides: the version, the issue time, the expiry, then the link, as BinaryWriter writes
    // them (little-endian ticks, strings as UTF-8 after their 7-bit encoded length), written into a span of its own.
    private static int PayloadLength(string origin, ReadOnlySpan<char> resource, ReadOnlySpan<char> hiddenQuery) =>
        PayloadLinkStart + StringLength(origin) + StringLength(resource) + StringLength(hiddenQuery);

    private static void WritePayload(Span<byte> payload, string origin, ReadOnlySpan<char> resource, ReadOnlySpan<char> hiddenQuery, DateTimeOffset now, TimeSpan lifetime)
    {
        payload[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(payload[1..], now.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(payload[9..], (now + lifetime).UtcTicks);
        var at = WriteString(payload, PayloadLinkStart, origin);
        at = WriteString(payload, at, resource);
        WriteString(payload, at, hiddenQuery);
    }

    private static int WriteString(Span<byte> payload, int at, ReadOnlySpan<char> value)
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

        return at + Encoding.UTF8.GetBytes(value, payload[at..]);
    }

    private static int StringLength(ReadOnlySpan<char> value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return length + (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4);
    }

    private LinkKey CurrentKey(DateTimeOffset now)
    {
        var key = Volatile.Read(ref _key);
        if (key is null || now.UtcTicks < key.Made.UtcTicks || now.UtcTicks - key.Made.UtcTicks >= s_keyLife.Ticks)
        {
            // Two requests may both make one; either is as good, and the other is collected.
            key = new LinkKey(_keyProtector, now);
            Volatile.Write(ref _key, key);
        }

        return key;
    }

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
            EncodedHeaderSource = _header.Length - (_header.Length % 3);
            EncodedHeader = Base64Url.EncodeToUtf8(_header.AsSpan(0, EncodedHeaderSource));
            Made = made;
        }

        public DateTimeOffset Made { get; }

        /// <summary>
        /// The base64url of the header's first <see cref="EncodedHeaderSource"/> bytes (a multiple of three, so their
        /// encoding stands alone at the start of every token's), encoded once rather than in every token.
        /// </summary>
        public ReadOnlyMemory<byte> EncodedHeader { get; }

        /// <summary>How many of the header's bytes <see cref="EncodedHeader"/> encodes.</summary>
        public int EncodedHeaderSource { get; }

        /// <summary>Where a token's payload begins: after the key's header, the nonce and the tag.</summary>
        public int PayloadStart => _header.Length + NonceSize + TagSize;

        /// <summary>The length of a token whose payload is <paramref name="payloadLength"/> bytes.</summary>
        public int TokenLength(int payloadLength) => PayloadStart + payloadLength;

        /// <summary>Writes the token of <paramref name="payload"/> into <paramref name="token"/>: the header, the nonce, the tag and the sealed payload.</summary>
        public void Seal(ReadOnlySpan<byte> payload, Span<byte> token)
        {
            _header.CopyTo(token);
            var nonce = token.Slice(_header.Length, NonceSize);
            BinaryPrimitives.WriteUInt32BigEndian(nonce, _noncePrefix);
            BinaryPrimitives.WriteInt64BigEndian(nonce[4..], Interlocked.Increment(ref _count));
            Aes().Encrypt(nonce, payload, token[PayloadStart..], token.Slice(_header.Length + NonceSize, TagSize), _header);
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

    /// <summary>
    /// The last tokens a thread made, for their links within a second: a Durable response names one instance up to nine
    /// times (its <c>Location</c> and eight URLs), and a page of instances each of them, in whatever order the function
    /// wrote them (an instance's URLs together, or one list per kind of URL), each needing the same token, so its expiry
    /// is at most a second short. A thread keeps as many as a body may seal (<see cref="DurableJson.MaxSealedLinks"/>),
    /// so every link a body repeats is sealed once. One set per thread, in buffers that grow to the longest link, so
    /// checking and keeping a token takes no lock and allocates nothing once grown; a token is reused only for the
    /// protector (the function) that made it.
    /// </summary>
    private sealed class RecentTokens
    {
        private static readonly TimeSpan s_reuse = TimeSpan.FromSeconds(1);

        [ThreadStatic]
        private static RecentTokens? s_current;

        private readonly Entry[] _entries = new Entry[DurableJson.MaxSealedLinks];
        private DurableLinkProtector? _owner;
        private int _count;
        private int _next;

        /// <summary>This thread's recent tokens, forgotten when another protector made them.</summary>
        public static RecentTokens Of(DurableLinkProtector owner)
        {
            var recent = s_current ??= new RecentTokens();
            if (recent._owner != owner)
            {
                recent._owner = owner;
                recent._count = recent._next = 0;
            }

            return recent;
        }

        /// <summary>
        /// Writes to <paramref name="output"/> the token made for <paramref name="link"/> (a payload's link) with
        /// <paramref name="lifetime"/> within a second before <paramref name="now"/>, when there is one.
        /// </summary>
        public bool TryWrite(ReadOnlySpan<byte> link, TimeSpan lifetime, DateTimeOffset now, IBufferWriter<byte> output)
        {
            // The most recent first: an instance's URLs follow one another in most bodies.
            for (var back = 1; back <= _count; back++)
            {
                var entry = _entries[(_next - back + _entries.Length) % _entries.Length];
                if (entry.Lifetime == lifetime && now >= entry.Issued && now - entry.Issued < s_reuse && link.SequenceEqual(entry.Link))
                {
                    output.Write(entry.Token);
                    return true;
                }
            }

            return false;
        }

        /// <summary>Keeps <paramref name="token"/> as made for <paramref name="link"/>, in place of the oldest kept when all are taken.</summary>
        public void Keep(ReadOnlySpan<byte> link, TimeSpan lifetime, DateTimeOffset now, ReadOnlySpan<byte> token)
        {
            var entry = _entries[_next] ??= new Entry();
            entry.Set(link, lifetime, now, token);
            _next = (_next + 1) % _entries.Length;
            _count = Math.Max(_count, _next == 0 ? _entries.Length : _next);
        }

        private sealed class Entry
        {
            private byte[] _link = [];
            private int _linkLength;
            private byte[] _token = [];
            private int _tokenLength;

            public ReadOnlySpan<byte> Link => _link.AsSpan(0, _linkLength);

            public ReadOnlySpan<byte> Token => _token.AsSpan(0, _tokenLength);

            public TimeSpan Lifetime { get; private set; }

            public DateTimeOffset Issued { get; private set; }

            public void Set(ReadOnlySpan<byte> link, TimeSpan lifetime, DateTimeOffset issued, ReadOnlySpan<byte> token)
            {
                if (_link.Length < link.Length)
                {
                    _link = new byte[link.Length];
                }

                if (_token.Length < token.Length)
                {
                    _token = new byte[token.Length];
                }

                link.CopyTo(_link);
                _linkLength = link.Length;
                token.CopyTo(_token);
                _tokenLength = token.Length;
                Lifetime = lifetime;
                Issued = issued;
            }
        }
    }
}
