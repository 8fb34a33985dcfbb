using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using IntrinsicAes = System.Runtime.Intrinsics.X86.Aes;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// AES-256-GCM encryption under one link key, always with the same associated data (the key's own header), its output
/// exactly <see cref="AesGcm"/>'s: the links of a response are sealed one after another under one key. Each
/// <see cref="AesGcm.Encrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, Span{byte}, ReadOnlySpan{byte})"/> call
/// costs OpenSSL about a microsecond whatever its size (its cipher context set up again, its error queue cleared: most of
/// a link's cost at 300 links a response), so where the processor has AES-NI and carry-less multiplication the key
/// schedule, the hash key and the hash of the associated data are computed once per key and each seal is a few hundred
/// cycles of managed code, as Intel documents GCM for these instructions. Elsewhere each thread keeps an
/// <see cref="AesGcm"/> for the key. Tokens are opened by <see cref="AesGcm"/> alone, so a sealing mistake could only
/// make links that do not read, never accept one: the tests compare this sealer's output with <see cref="AesGcm"/>'s.
/// </summary>
internal sealed class LinkSealer
{
    /// <summary>The size of a nonce, in bytes.</summary>
    public const int NonceSize = 12;

    /// <summary>The size of a tag, in bytes.</summary>
    public const int TagSize = 16;

    private const int BlockSize = 16;

    // Each thread's AesGcm where the intrinsics are not available (one is not safe for concurrent use), for the key it
    // was made with: making one costs OpenSSL a cipher lookup.
    [ThreadStatic]
    private static (byte[] Key, AesGcm Aes)? s_threadAes;

    private readonly byte[] _key;
    private readonly byte[] _associatedData;

    // With the intrinsics: AES-256's 15 round keys, GHASH's key H and its powers to the fourth, and the hash of the
    // associated data, byte-reversed as the carry-less multiplication wants them.
    private readonly Vector128<byte>[]? _roundKeys;
    private readonly Vector128<ulong>[] _hashPowers = new Vector128<ulong>[4];
    private readonly Vector128<ulong> _associatedHash;

    public LinkSealer(byte[] key, byte[] associatedData)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A link key is 256 bits.", nameof(key));
        }

        _key = key;
        _associatedData = associatedData;
        if (IsAccelerated)
        {
            _roundKeys = ExpandKey(key);
            // H, H^2, H^3, H^4.
            _hashPowers[0] = Reverse(EncryptBlock(_roundKeys, Vector128<byte>.Zero)).AsUInt64();
            for (var i = 1; i < _hashPowers.Length; i++)
            {
                _hashPowers[i] = Multiply(_hashPowers[i - 1], _hashPowers[0]);
            }

            _associatedHash = Hash(Vector128<ulong>.Zero, associatedData);
        }
    }

    /// <summary>Whether seals run in managed code with the processor's AES and carry-less multiplication instructions.</summary>
    public static bool IsAccelerated => IntrinsicAes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> under <paramref name="nonce"/> into <paramref name="ciphertext"/> (as long,
    /// the same span or one that does not overlap it) and writes its tag, as <see cref="AesGcm"/> would with the key's
    /// associated data.
    /// </summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        if (_roundKeys is not { } roundKeys)
        {
            PlatformAes().Encrypt(nonce, plaintext, ciphertext, tag, _associatedData);
            return;
        }

        if (nonce.Length != NonceSize || tag.Length != TagSize || ciphertext.Length != plaintext.Length)
        {
            throw new ArgumentException("A link's nonce is 96 bits, its tag 128, and its ciphertext as long as its plaintext.");
        }

        // J0 is the nonce and a 32-bit big-endian 1; the data's counters are J0's successors. Blocks go four at a time:
        // four AES blocks in flight hide each round's latency, and four GHASH products (by H^4...H) share one reduction.
        // The last group's spare lanes take J0, for the tag, and the lengths block.
        Span<byte> block = stackalloc byte[BlockSize];
        nonce.CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[NonceSize..], 1);
        var first = Vector128.Create(block);
        Span<Vector128<byte>> keystream = stackalloc Vector128<byte>[4];
        Span<Vector128<ulong>> hashed = stackalloc Vector128<ulong>[4];

        // The lengths in bits, big-endian: byte-reversed, the data's is the low half and the associated data's the high.
        var lengths = Vector128.Create((ulong)plaintext.Length * 8, (ulong)_associatedData.Length * 8);
        var hash = _associatedHash;
        var tagMask = Vector128<byte>.Zero;
        var lengthsHashed = false;
        var blocks = (plaintext.Length + BlockSize - 1) / BlockSize;
        for (var index = 0; index < blocks; index += 4)
        {
            var count = Math.Min(4, blocks - index);
            var counter = 2u + (uint)index;
            (keystream[0], keystream[1], keystream[2], keystream[3]) = EncryptBlocks(
                roundKeys, Counter(first, counter), Counter(first, counter + 1), Counter(first, counter + 2), count == 4 ? Counter(first, counter + 3) : first);
            for (var lane = 0; lane < count; lane++)
            {
                var at = (index + lane) * BlockSize;
                Vector128<byte> cipher;
                if (plaintext.Length - at >= BlockSize)
                {
                    cipher = Vector128.Create(plaintext.Slice(at, BlockSize)) ^ keystream[lane];
                    cipher.CopyTo(ciphertext[at..]);
                }
                else
                {
                    // The last block is short: its ciphertext is hashed padded with zeros.
                    var length = plaintext.Length - at;
                    block.Clear();
                    plaintext[at..].CopyTo(block);
                    (Vector128.Create(block) ^ keystream[lane]).CopyTo(block);
                    block[length..].Clear();
                    block[..length].CopyTo(ciphertext[at..]);
                    cipher = Vector128.Create(block);
                }

                hashed[lane] = Reverse(cipher).AsUInt64();
            }

            if (count < 4)
            {
                tagMask = keystream[3];
                hashed[count] = lengths;
                lengthsHashed = true;
                count++;
            }

            hash = Absorb(hash, hashed[..count]);
        }

        if (!lengthsHashed)
        {
            tagMask = EncryptBlock(roundKeys, first);
            hashed[0] = lengths;
            hash = Absorb(hash, hashed[..1]);
        }

        (Reverse(hash.AsByte()) ^ tagMask).CopyTo(tag);
    }

    private AesGcm PlatformAes()
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

    // GHASH of whole blocks (the last padded with zeros) from the state hash.
    private Vector128<ulong> Hash(Vector128<ulong> hash, ReadOnlySpan<byte> data)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        Span<Vector128<ulong>> hashed = stackalloc Vector128<ulong>[1];
        for (var at = 0; at < data.Length; at += BlockSize)
        {
            block.Clear();
            data.Slice(at, Math.Min(BlockSize, data.Length - at)).CopyTo(block);
            hashed[0] = Reverse(Vector128.Create(block)).AsUInt64();
            hash = Absorb(hash, hashed);
        }

        return hash;
    }

    // GHASH of one to four byte-reversed blocks from the state hash: (hash ^ X1)·H^n ^ X2·H^(n-1) ^ ... ^ Xn·H, the four
    // products added before the one reduction they need.
    private Vector128<ulong> Absorb(Vector128<ulong> hash, ReadOnlySpan<Vector128<ulong>> blocks)
    {
        var powers = _hashPowers;
        var last = blocks.Length - 1;
        var (low, high) = Product(hash ^ blocks[0], powers[last]);
        for (var i = 1; i <= last; i++)
        {
            var (l, h) = Product(blocks[i], powers[last - i]);
            low ^= l;
            high ^= h;
        }

        return Reduce(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Counter(Vector128<byte> first, uint counter) =>
        first.AsUInt32().WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reverse(Vector128<byte> value) =>
        Ssse3.Shuffle(value, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    private static Vector128<byte> EncryptBlock(Vector128<byte>[] roundKeys, Vector128<byte> block)
    {
        block ^= roundKeys[0];
        for (var round = 1; round < 14; round++)
        {
            block = IntrinsicAes.Encrypt(block, roundKeys[round]);
        }

        return IntrinsicAes.EncryptLast(block, roundKeys[14]);
    }

    // Four blocks at once: each round's latency is hidden behind the other blocks'.
    private static (Vector128<byte>, Vector128<byte>, Vector128<byte>, Vector128<byte>) EncryptBlocks(
        Vector128<byte>[] roundKeys, Vector128<byte> b0, Vector128<byte> b1, Vector128<byte> b2, Vector128<byte> b3)
    {
        var key = roundKeys[0];
        b0 ^= key;
        b1 ^= key;
        b2 ^= key;
        b3 ^= key;
        for (var round = 1; round < 14; round++)
        {
            key = roundKeys[round];
            b0 = IntrinsicAes.Encrypt(b0, key);
            b1 = IntrinsicAes.Encrypt(b1, key);
            b2 = IntrinsicAes.Encrypt(b2, key);
            b3 = IntrinsicAes.Encrypt(b3, key);
        }

        key = roundKeys[14];
        return (IntrinsicAes.EncryptLast(b0, key), IntrinsicAes.EncryptLast(b1, key), IntrinsicAes.EncryptLast(b2, key), IntrinsicAes.EncryptLast(b3, key));
    }

    // AES-256's key schedule (FIPS 197), with AESKEYGENASSIST as Intel's AES-NI white paper uses it.
    private static Vector128<byte>[] ExpandKey(ReadOnlySpan<byte> key)
    {
        var keys = new Vector128<byte>[15];
        var even = Vector128.Create(key[..BlockSize]);
        var odd = Vector128.Create(key[BlockSize..]);
        keys[0] = even;
        keys[1] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x01));
        keys[2] = even;
        odd = NextOdd(odd, even);
        keys[3] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x02));
        keys[4] = even;
        odd = NextOdd(odd, even);
        keys[5] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x04));
        keys[6] = even;
        odd = NextOdd(odd, even);
        keys[7] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x08));
        keys[8] = even;
        odd = NextOdd(odd, even);
        keys[9] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x10));
        keys[10] = even;
        odd = NextOdd(odd, even);
        keys[11] = odd;
        even = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x20));
        keys[12] = even;
        odd = NextOdd(odd, even);
        keys[13] = odd;
        keys[14] = NextEven(even, IntrinsicAes.KeygenAssist(odd, 0x40));
        return keys;
    }

    private static Vector128<byte> NextEven(Vector128<byte> previous, Vector128<byte> assist) =>
        Spread(previous) ^ Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();

    private static Vector128<byte> NextOdd(Vector128<byte> previous, Vector128<byte> even) =>
        Spread(previous) ^ Sse2.Shuffle(IntrinsicAes.KeygenAssist(even, 0x00).AsUInt32(), 0xAA).AsByte();

    // Each word XORed with all the words before it.
    private static Vector128<byte> Spread(Vector128<byte> value)
    {
        var shifted = Sse2.ShiftLeftLogical128BitLane(value, 4);
        value ^= shifted;
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        value ^= shifted;
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        return value ^ shifted;
    }

    // Multiplication in GCM's field of byte-reversed operands, as Intel's carry-less multiplication white paper has it:
    // the 256-bit carry-less product, then shifted left by one bit (the operands' bit order is reflected) and reduced
    // modulo x^128+x^7+x^2+x+1. Both steps are linear, so the products of several blocks are added before one reduction.
    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        var (low, high) = Product(a, b);
        return Reduce(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<ulong> Low, Vector128<ulong> High) Product(Vector128<ulong> a, Vector128<ulong> b)
    {
        var middle = Pclmulqdq.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        return (Pclmulqdq.CarrylessMultiply(a, b, 0x00) ^ Sse2.ShiftLeftLogical128BitLane(middle, 8),
            Pclmulqdq.CarrylessMultiply(a, b, 0x11) ^ Sse2.ShiftRightLogical128BitLane(middle, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> low, Vector128<ulong> high)
    {
        var low32 = low.AsUInt32();
        var high32 = high.AsUInt32();
        var lowCarry = Sse2.ShiftRightLogical(low32, 31);
        var highCarry = Sse2.ShiftRightLogical(high32, 31);
        low32 = Sse2.ShiftLeftLogical(low32, 1) | Sse2.ShiftLeftLogical128BitLane(lowCarry, 4);
        high32 = Sse2.ShiftLeftLogical(high32, 1) | Sse2.ShiftLeftLogical128BitLane(highCarry, 4) | Sse2.ShiftRightLogical128BitLane(lowCarry, 12);

        var fold = Sse2.ShiftLeftLogical(low32, 31) ^ Sse2.ShiftLeftLogical(low32, 30) ^ Sse2.ShiftLeftLogical(low32, 25);
        var foldHigh = Sse2.ShiftRightLogical128BitLane(fold, 4);
        low32 ^= Sse2.ShiftLeftLogical128BitLane(fold, 12);
        var reduced = Sse2.ShiftRightLogical(low32, 1) ^ Sse2.ShiftRightLogical(low32, 2) ^ Sse2.ShiftRightLogical(low32, 7) ^ foldHigh;
        return (high32 ^ low32 ^ reduced).AsUInt64();
    }
}
