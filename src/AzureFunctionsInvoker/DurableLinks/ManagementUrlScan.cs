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
/// Looks for Durable Functions' webhook path (<c>/runtime/webhooks/durabletask</c>, in any case, with or without JSON's
/// <c>\/</c> escapes, each slash escaped or not) in a body as it streams, read by read, for the bodies the buffered rewriter does not take (larger
/// than 64 KiB, chunked, not JSON, not 2xx): where it is, a management URL with its key may follow, and the body must be
/// cut there. The search is on any host, not only the function's: another name of the same host (<c>localhost</c>, an
/// address, a custom domain) is one the proxy cannot tell apart. A path split across two reads is found: the last bytes
/// of each read are kept and searched with the start of the next. The search takes 64 bytes at a time for two letters
/// of <c>durabletask</c> 6 bytes apart, <c>b</c> and <c>k</c> in either case (one position in 16,384 of random bytes,
/// rarer still in text), and compares the whole path only there, so it costs about the same on any content. One per response, a value in the copy's own state
/// (31 bytes kept inline), so a scanned response allocates nothing for it.
/// </summary>
internal struct ManagementUrlScan
{
    // The path's three segments; each is preceded by '/' or JSON's "\/", independently of the others.
    private static readonly byte[] s_runtime = "runtime"u8.ToArray();
    private static readonly byte[] s_webhooks = "webhooks"u8.ToArray();
    private static readonly byte[] s_durableTask = "durabletask"u8.ToArray();

    // A match is 29 to 31 bytes from its first '/' on: one begun in the previous read began in its last 30 bytes.
    private const int Overlap = 31;

    // The search's anchor: a folded 'b' and 'k' 6 bytes apart, as in "durabletask", whose 'd' is 18 to 20 bytes after the
    // path's first '/' (either later slash escaped or not). Two letters at a fixed distance match about once in 16,384
    // bytes of random data (2/256 squared), where a single byte such as '/' matches every 256; so text, random and binary
    // bodies cost the same one pass.
    private const int AnchorB = 4;
    private const int AnchorK = 10;
    private const int AnchorDistance = AnchorK - AnchorB;
    private const int ShortestLead = 18;
    private const int LongestLead = 20;
    private const byte CaseBit = 0x20;

    // The vector search takes 64 bytes at a time, at whatever width the hardware has.
    private const int Block = 64;

    private Tail _tail;
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
            ((ReadOnlySpan<byte>)_tail)[.._tailLength].CopyTo(seam);
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
        // Each position q whose byte folds to 'k' and whose byte 6 before folds to 'b' is a candidate: "durabletask" may
        // start 10 before it; each is then compared in full. A 'b' in one block pairs with a 'k' in the next.
        ref var start = ref MemoryMarshal.GetReference(bytes);
        var blocks = bytes.Length - (bytes.Length % Block);
        ulong previousB = 0;
        for (var block = 0; block < blocks; block += Block)
        {
            var (b, k) = Anchors(ref Unsafe.Add(ref start, block));
            var candidates = ((b << AnchorDistance) | (previousB >> (Block - AnchorDistance))) & k;
            previousB = b;
            for (; candidates != 0; candidates &= candidates - 1)
            {
                if (IsPathBefore(bytes, block + BitOperations.TrailingZeroCount(candidates)))
                {
                    return true;
                }
            }
        }

        // The last bytes, fewer than a block (a whole read across the seam of two reads is one of these).
        for (var at = Math.Max(blocks, AnchorDistance); at < bytes.Length; at++)
        {
            if ((bytes[at] | CaseBit) == 'k' && (bytes[at - AnchorDistance] | CaseBit) == 'b' && IsPathBefore(bytes, at))
            {
                return true;
            }
        }

        return false;
    }

    // Which bytes of the 64 at 'at' fold to 'b' and to 'k', one bit each. Inlined: the width not taken is dead code.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong B, ulong K) Anchors(ref byte at)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var folded = Vector512.LoadUnsafe(ref at) | Vector512.Create(CaseBit);
            return (Vector512.Equals(folded, Vector512.Create((byte)'b')).ExtractMostSignificantBits(),
                Vector512.Equals(folded, Vector512.Create((byte)'k')).ExtractMostSignificantBits());
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var low = Vector256.LoadUnsafe(ref at) | Vector256.Create(CaseBit);
            var high = Vector256.LoadUnsafe(ref at, 32) | Vector256.Create(CaseBit);
            return (Vector256.Equals(low, Vector256.Create((byte)'b')).ExtractMostSignificantBits()
                    | ((ulong)Vector256.Equals(high, Vector256.Create((byte)'b')).ExtractMostSignificantBits() << 32),
                Vector256.Equals(low, Vector256.Create((byte)'k')).ExtractMostSignificantBits()
                    | ((ulong)Vector256.Equals(high, Vector256.Create((byte)'k')).ExtractMostSignificantBits() << 32));
        }

        ulong b = 0, k = 0;
        for (var part = 0; part < Block; part += Vector128<byte>.Count)
        {
            // Vector128 is accelerated on x64 and Arm64 alike.
            var folded = Vector128.LoadUnsafe(ref at, (nuint)part) | Vector128.Create(CaseBit);
            b |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'b')).ExtractMostSignificantBits() << part;
            k |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'k')).ExtractMostSignificantBits() << part;
        }

        return (b, k);
    }

    // Whether the webhook path ends its "durabletask" with the 'k' at anchorK: its first '/' is 18 to 20 bytes before the 'd'.
    private static bool IsPathBefore(ReadOnlySpan<byte> bytes, int anchorK)
    {
        var d = anchorK - AnchorK;
        for (var first = Math.Max(d - LongestLead, 0); first <= d - ShortestLead; first++)
        {
            if (bytes[first] == (byte)'/' && IsPathAt(bytes[first..]))
            {
                return true;
            }
        }

        return false;
    }

    // Whether bytes, starting with a '/', start with the webhook path, each later slash escaped as "\/" or not.
    private static bool IsPathAt(ReadOnlySpan<byte> bytes)
    {
        bytes = bytes[1..];
        return Segment(ref bytes, s_runtime) && Slash(ref bytes) && Segment(ref bytes, s_webhooks) && Slash(ref bytes)
            && Segment(ref bytes, s_durableTask);
    }

    private static bool Segment(ref ReadOnlySpan<byte> bytes, byte[] name)
    {
        if (bytes.Length < name.Length || !Ascii.EqualsIgnoreCase(bytes[..name.Length], name))
        {
            return false;
        }

        bytes = bytes[name.Length..];
        return true;
    }

    private static bool Slash(ref ReadOnlySpan<byte> bytes)
    {
        var length = bytes.Length > 1 && bytes[0] == (byte)'\\' ? 2 : 1;
        if (bytes.Length < length || bytes[length - 1] != (byte)'/')
        {
            return false;
        }

        bytes = bytes[length..];
        return true;
    }

    private void Keep(ReadOnlySpan<byte> read)
    {
        Span<byte> tail = _tail;
        if (read.Length >= Overlap)
        {
            read[^Overlap..].CopyTo(tail);
            _tailLength = Overlap;
            return;
        }

        // A short read: what was kept shifts along, so the kept bytes stay the body's last.
        var keep = Math.Min(_tailLength, Overlap - read.Length);
        tail.Slice(_tailLength - keep, keep).CopyTo(tail);
        read.CopyTo(tail[keep..]);
        _tailLength = keep + read.Length;
    }

    // The last bytes of the previous read, inline.
    [InlineArray(Overlap)]
    private struct Tail
    {
        private byte _first;
    }
}
