using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Looks for Durable Functions' webhook path (<c>/runtime/webhooks/durabletask</c>) in a body as it streams, read by read,
/// for the bodies the buffered rewriter does not take (larger than 64 KiB, chunked, not JSON, not 2xx): where it is, a
/// management URL with its key may follow, and the body must be cut there. The path is found in every spelling JSON and
/// URLs give it: letters in any case, each character written as itself, as a JSON escape (<c>durable\u0074ask</c>,
/// <c>\u002f</c>, <c>\/</c>) or percent-encoded (<c>%64urabletask</c>, <c>%2F</c>), and a slash also percent-encoded
/// twice or with its percent sign escaped (<c>%252F</c>, <c>\u00252F</c>), as a URL carried in another URL's query is,
/// once or twice, and as a backslash in any of these forms (<c>\runtime</c>, JSON's <c>\\runtime</c>, <c>%5C</c>), which
/// browsers read as a slash. The search is on any host, not only the function's: another name of the same host (<c>localhost</c>,
/// an address, a custom domain) is one the proxy cannot tell
/// apart. A path split across two reads is found: the last bytes of each read are kept and searched with the start of
/// the next.
/// </summary>
/// <remarks>
/// The search takes 64 bytes at a time, read where they stand and 1 and 4 bytes before, for two kinds of anchor:
/// <c>etask</c>'s <c>e</c> and <c>k</c> 4 bytes apart in either case, which every spelling whose <c>bletask</c> is
/// written as itself holds; or a hex digit 4 to 7 one byte after a <c>%</c> or four after a <c>\</c>, the first digit of an
/// escaped letter, which every other spelling holds. Each pair is one masked comparison (taking the bytes next to
/// <c>%</c> and <c>\</c> too), and a block with none, nearly every block of random bytes, text or JSON, costs no more;
/// in the one in about 30 with one, a read 2 bytes before keeps only the anchors at a <c>k</c>, after <c>%</c> itself or
/// after <c>00</c> (so not the escapes of non-ASCII text, <c>\u3042</c>). Only there is the whole path compared, from
/// each place within the longest spelling before it that a spelling can start at, each place once, so no body costs
/// more than a few comparisons per byte. One per response, a value in the copy's own state. The bytes kept from a read
/// start at the first byte a spelling can start with (none kept when there is none), in an array from the shared pool
/// held only while there are some, so a scanned response allocates nothing for it and an event stream idle after an
/// event with no <c>/</c>, <c>\</c> or <c>%</c> in its last bytes holds none.
/// </remarks>
internal struct ManagementUrlScan
{
    // The path, each of its characters matched in any of its spellings.
    private static readonly byte[] s_path = "/runtime/webhooks/durabletask"u8.ToArray();

    // What a spelling of the path starts with: its first slash as itself, escaped or percent-encoded.
    private static readonly SearchValues<byte> s_starts = SearchValues.Create("/\\%"u8);

    // The longest spelling of a slash is ten bytes ("\\u0025252F"), of a letter six ("\\u0074"); a path begun in the
    // previous read began in its last Overlap bytes.
    private const int LongestSpelling = (3 * 10) + (26 * 6);
    private const int Overlap = LongestSpelling - 1;

    // The literal anchor: a folded 'e' and 'k' 4 bytes apart, as in "etask". Two letters at a fixed distance match about
    // once in 16,384 bytes of random data (2/256 squared), where a single byte such as '/' matches every 256. A letter
    // ends "bletask" where the 6 bytes before it and itself spell it.
    private const int AnchorDistance = 4;
    private const int BletaskEnd = 6;
    private const byte CaseBit = 0x20;
    private const byte FoldMask = unchecked((byte)~CaseBit);

    // A byte masked with this is '4' when it is a digit 4 to 7, the first hex digit of an escaped letter; a lead masked
    // with it is '%' for '$' to '\'' and '\\' for '\\' to '_'.
    private const byte HexDigitMask = 0xFC;

    // The vector search takes 64 bytes at a time.
    private const int Block = 64;

    // How far before a byte its anchor looks.
    private const int LookBack = 4;

    // The kept bytes, rented from the shared pool while there are some; Release returns them.
    private byte[]? _tail;
    private int _tailLength;

    /// <summary>
    /// Whether the body about to stream to the caller is scanned: when Durable links are on and it has a body. A body
    /// with a <c>Content-Encoding</c> is scanned too: a compressed path cannot be read, but a coding that is not
    /// compression (<c>utf-8</c> written by mistake for a charset, an unknown name) or gzip's stored blocks leave the
    /// bytes as they are, and scanning costs the same on any bytes.
    /// </summary>
    public static bool Applies(HttpContext context, AzureFunctionProxyOptions options) =>
        RewriteScope.DurableLinksEnabled(options) && !HttpMethods.IsHead(context.Request.Method);

    /// <summary>
    /// Whether a <c>Location</c> or <c>Content-Location</c> the rewriter left as it was (a management URL on another name
    /// of the host, another scheme, with user information) still names the webhook path, when Durable links are on.
    /// </summary>
    public static bool LeftInHeaders(IHeaderDictionary headers, AzureFunctionProxyOptions options)
    {
        if (!RewriteScope.DurableLinksEnabled(options))
        {
            return false;
        }

        // Both headers are rare, and read only when present.
        return Holds(headers.Location) || Holds(headers.ContentLocation);
    }

    private static bool Holds(StringValues values)
    {
        foreach (var value in values)
        {
            if (value is not null && Holds(Encoding.UTF8.GetBytes(value)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="read"/>, the next bytes of the body, holds the webhook path or completes one begun before it.</summary>
    public bool Finds(ReadOnlySpan<byte> read)
    {
        if (_tailLength > 0)
        {
            // A path begun in the previous read: the kept bytes with the start of this one.
            Span<byte> seam = stackalloc byte[2 * Overlap];
            _tail.AsSpan(0, _tailLength).CopyTo(seam);
            var head = read[..Math.Min(read.Length, Overlap)];
            head.CopyTo(seam[_tailLength..]);
            if (Holds(seam[..(_tailLength + head.Length)]))
            {
                return true;
            }
        }

        if (Holds(read))
        {
            return true;
        }

        Keep(read);
        return false;
    }

    /// <summary>Whether <paramref name="bytes"/>, a whole body or a part of it that no spelling crosses, holds the webhook path.</summary>
    public static bool Holds(ReadOnlySpan<byte> bytes)
    {
        // The anchors look back up to four bytes: the first block is searched from a copy after four zeros, and the last
        // bytes, fewer than a block (a whole short read is one of these), from a copy after the four bytes before them,
        // padded with zeros, in which no anchor is (inline: a stackalloc would keep the search from tiering up).
        var edgeBuffer = default(Edge);
        Span<byte> edge = edgeBuffer;
        ref var start = ref MemoryMarshal.GetReference(bytes);
        var tried = 0;
        for (var block = 0; block < bytes.Length; block += Block)
        {
            var copied = block == 0 || bytes.Length - block < Block;
            if (copied)
            {
                edge.Clear();
                bytes[Math.Max(block - LookBack, 0)..block].CopyTo(edge[(LookBack - Math.Min(block, LookBack))..]);
                bytes.Slice(block, Math.Min(Block, bytes.Length - block)).CopyTo(edge[LookBack..]);
            }

            var candidates = Anchors(ref copied ? ref edge[LookBack] : ref Unsafe.Add(ref start, block));
            if (candidates != 0 && Search(bytes, block, candidates, ref tried))
            {
                return true;
            }
        }

        return false;
    }

    // Whether a spelling of the path holds one of the anchors of the block at 'block'.
    private static bool Search(ReadOnlySpan<byte> bytes, int block, ulong candidates, ref int tried)
    {
        for (; candidates != 0; candidates &= candidates - 1)
        {
            var at = block + BitOperations.TrailingZeroCount(candidates);
            if (MayEndBletask(bytes, at) && IsPathAround(bytes, at, ref tried))
            {
                return true;
            }
        }

        return false;
    }

    // The anchors among the 64 bytes at 'at', one bit each; the bytes before 'at' are read. First the pairs, one masked
    // comparison each from the bytes at 'at' and 1 and 4 before: (before4 ^ 'e' | at ^ 'k') & ~0x20 is zero for "e...k"
    // in either case, (before1 ^ '%' | at ^ '4') & 0xFC for '$' to '\'' and a digit 4 to 7, (before4 ^ '\\' | at ^ '4')
    // & 0xFC for '\\' to '_' and the digit; the least of them is zero where any pair stands. Then, only in a block with
    // one, the bytes 2 before keep those at a 'k', after a '%' itself, or after "00" (or what ORs to '0'). Vector512 on
    // every machine: where the hardware has 256- or 128-bit vectors only, the runtime computes each operation on halves
    // or quarters, as fast as code written for those widths (docs/benchmarks.md).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Anchors(ref byte at)
    {
        var bytes = Vector512.LoadUnsafe(ref at);
        var before1 = Vector512.LoadUnsafe(ref Unsafe.Subtract(ref at, 1));
        var before4 = Vector512.LoadUnsafe(ref Unsafe.Subtract(ref at, AnchorDistance));
        var digit = bytes ^ Vector512.Create((byte)'4');
        var etask = ((before4 ^ Vector512.Create((byte)'e')) | (bytes ^ Vector512.Create((byte)'k'))) & Vector512.Create(FoldMask);
        var escaped = Vector512.Min((before1 ^ Vector512.Create((byte)'%')) | digit, (before4 ^ Vector512.Create((byte)'\\')) | digit) & Vector512.Create(HexDigitMask);
        var pairs = Vector512.Equals(Vector512.Min(etask, escaped), Vector512<byte>.Zero).ExtractMostSignificantBits();
        if (pairs == 0)
        {
            return 0;
        }

        var before2 = Vector512.LoadUnsafe(ref Unsafe.Subtract(ref at, 2));
        return pairs & (Vector512.Equals(bytes | Vector512.Create(CaseBit), Vector512.Create((byte)'k')) | Vector512.Equals(before1, Vector512.Create((byte)'%')) | Vector512.Equals(before1 | before2, Vector512.Create((byte)'0'))).ExtractMostSignificantBits();
    }

    // Whether the anchor at 'at' may end a letter of "bletask": "bletask" itself ending there, in any case, or an escape
    // of one of its letters whose two hex digits start there: after '%', or after "\u00" (not any "\u": System.Text.Json
    // writes every non-ASCII character so, "\u3042", whose third digit is as often 4 to 7). Most anchors in other bytes
    // fail here, before any place is tried.
    private static bool MayEndBletask(ReadOnlySpan<byte> bytes, int at) =>
        (at >= BletaskEnd && Ascii.EqualsIgnoreCase(bytes.Slice(at - BletaskEnd, BletaskEnd + 1), "bletask"u8))
        || (((at >= 1 && bytes[at - 1] == (byte)'%') || (at >= 4 && bytes[(at - 4)..at].SequenceEqual("\\u00"u8)))
            && TryHex(bytes[at..], out var value) && (byte)(value | CaseBit) is (byte)'b' or (byte)'l' or (byte)'e' or (byte)'t' or (byte)'a' or (byte)'s' or (byte)'k'
            && char.IsAsciiLetter((char)value));

    // Whether a spelling of the path holds the anchor at 'at': it starts within the longest spelling before it, at a
    // slash, backslash or percent sign. Each place is tried once per search however many anchors it is near ('tried').
    private static bool IsPathAround(ReadOnlySpan<byte> bytes, int at, ref int tried)
    {
        var from = Math.Max(tried, at - LongestSpelling + 1);
        tried = at + 1;
        for (var next = from; next <= at; next++)
        {
            var found = bytes[next..(at + 1)].IndexOfAny(s_starts);
            if (found < 0)
            {
                return false;
            }

            next += found;
            if (IsPathAt(bytes[next..]))
            {
                return true;
            }
        }

        return false;
    }

    // Whether bytes start with a spelling of the webhook path.
    private static bool IsPathAt(ReadOnlySpan<byte> bytes)
    {
        foreach (var expected in s_path)
        {
            if (!Character(ref bytes, expected))
            {
                return false;
            }
        }

        return true;
    }

    // Whether bytes start with a spelling of 'expected' (a lower-case letter or '/'), and moves past it: the character
    // itself, "\\u00" and two hex digits, or '%' and two hex digits; a slash also as "\\/", as a backslash (itself, JSON's "\\\\", escaped or percent-encoded), and percent-encoded twice
    // ("%252F") or with its percent sign as "\\u0025" ("\\u00252F", "\\u0025252F"), as a URL carried in another's query is.
    private static bool Character(ref ReadOnlySpan<byte> bytes, byte expected)
    {
        if (bytes.IsEmpty)
        {
            return false;
        }

        // A backslash is tried last, as a slash of its own: it starts the longer spellings too.
        if (bytes[0] != (byte)'\\' && Means(bytes[0], expected))
        {
            bytes = bytes[1..];
            return true;
        }

        var slash = expected == (byte)'/';
        if (slash && (bytes.StartsWith("\\/"u8) || bytes.StartsWith("\\\\"u8)))
        {
            bytes = bytes[2..];
            return true;
        }

        if (bytes.StartsWith("\\u00"u8) && TryHex(bytes[4..], out var value) && Means(value, expected))
        {
            bytes = bytes[6..];
            return true;
        }

        var percent = bytes[0] == (byte)'%' ? 1 : slash && bytes.StartsWith("\\u0025"u8) ? 6 : 0;
        if (percent > 0)
        {
            var encoded = bytes[percent..];
            if (TryHex(encoded, out value) && Means(value, expected))
            {
                bytes = encoded[2..];
                return true;
            }

            if (slash && encoded.StartsWith("25"u8) && TryHex(encoded[2..], out value) && Means(value, expected))
            {
                bytes = encoded[4..];
                return true;
            }
        }

        if (slash && bytes[0] == (byte)'\\')
        {
            bytes = bytes[1..];
            return true;
        }

        return false;
    }

    // Whether a character means 'expected': the same, for a letter the same in the other case, and for a slash also a
    // backslash, which browsers and every WHATWG URL parser read as a slash in an http(s) URL.
    private static bool Means(byte value, byte expected) =>
        value == expected || (expected == (byte)'/' ? value == (byte)'\\' : (value | CaseBit) == expected);

    // The value of the two hex digits bytes start with, in either case.
    private static bool TryHex(ReadOnlySpan<byte> bytes, out byte value)
    {
        value = 0;
        if (bytes.Length < 2 || !char.IsAsciiHexDigit((char)bytes[0]) || !char.IsAsciiHexDigit((char)bytes[1]))
        {
            return false;
        }

        value = (byte)((HexValue(bytes[0]) << 4) | HexValue(bytes[1]));
        return true;
    }

    private static int HexValue(byte digit) => digit <= '9' ? digit - '0' : (digit | CaseBit) - 'a' + 10;

    /// <summary>Returns the kept bytes' array to the pool: the body's copy is over.</summary>
    public void Release()
    {
        if (_tail is { } tail)
        {
            _tail = null;
            _tailLength = 0;
            ArrayPool<byte>.Shared.Return(tail);
        }
    }

    // Keeps the body's last Overlap bytes from the first a spelling can start with: the bytes before it are no path's.
    private void Keep(ReadOnlySpan<byte> read)
    {
        // A short read: what was kept before it stays the body's last bytes with it.
        var kept = _tail.AsSpan(0, _tailLength);
        kept = kept[Math.Max(0, kept.Length - (Overlap - Math.Min(read.Length, Overlap)))..];
        read = read[Math.Max(0, read.Length - Overlap)..];
        var start = kept.IndexOfAny(s_starts);
        if (start >= 0)
        {
            kept = kept[start..];
        }
        else
        {
            kept = default;
            start = read.IndexOfAny(s_starts);
            if (start < 0)
            {
                Release();
                return;
            }

            read = read[start..];
        }

        var tail = _tail ??= ArrayPool<byte>.Shared.Rent(Overlap);
        kept.CopyTo(tail);
        read.CopyTo(tail.AsSpan(kept.Length));
        _tailLength = kept.Length + read.Length;
    }

    // A block copied after the bytes before it, inline.
    [InlineArray(LookBack + Block)]
    private struct Edge
    {
        private byte _first;
    }
}
