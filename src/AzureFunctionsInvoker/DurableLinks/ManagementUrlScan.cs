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
/// of each read are kept and searched with the start of the next. One per response, a value in the copy's own state
/// (31 bytes kept inline), so a scanned response allocates nothing for it.
/// </summary>
internal struct ManagementUrlScan
{
    // The path's three segments; each is preceded by '/' or JSON's "\/", independently of the others.
    private static readonly byte[] s_runtime = "runtime"u8.ToArray();
    private static readonly byte[] s_webhooks = "webhooks"u8.ToArray();
    private static readonly byte[] s_durableTask = "durabletask"u8.ToArray();

    // A match is 29 or 31 bytes from its first '/' on: one begun in the previous read began in its last 30 bytes.
    private const int Overlap = 31;

    // Where the path's other slashes are, from its first: the second at 8 ("/runtime/") or 9 ("/runtime\/"), the last
    // at 17 to 19 (either slash escaped or not: "/runtime\/webhooks/" is as valid JSON as the other spellings).
    private const int PlainSecondSlash = 8;
    private const int EscapedSecondSlash = 9;
    private const int PlainLastSlash = 17;
    private const int MixedLastSlash = 18;
    private const int EscapedLastSlash = 19;

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
        var checkedUpTo = 0;
        if (Vector256.IsHardwareAccelerated && bytes.Length >= Vector256<byte>.Count + EscapedLastSlash)
        {
            // Candidates 32 at a time: a '/' with another '/' 8 and 17 bytes on ("/runtime/webhooks/"), or 9 and 19
            // ("/runtime\/webhooks\/"). Slashes have no case, so few bytes of any text pass all three, and a binary
            // or slash-free body costs one search for '/'; each candidate is then compared in full.
            var slash = Vector256.Create((byte)'/');
            ref var start = ref MemoryMarshal.GetReference(bytes);
            var last = bytes.Length - Vector256<byte>.Count - EscapedLastSlash;
            for (; checkedUpTo <= last; checkedUpTo += Vector256<byte>.Count)
            {
                var at = (nuint)checkedUpTo;
                var first = Vector256.Equals(Vector256.LoadUnsafe(ref start, at), slash);
                if (first == Vector256<byte>.Zero)
                {
                    // No '/' here: the runtime's own search skips to the next one fastest (a binary body may hold none).
                    var from = checkedUpTo + Vector256<byte>.Count;
                    var next = from > last ? 0 : bytes[from..(last + 1)].IndexOf((byte)'/');
                    if (next < 0)
                    {
                        checkedUpTo = last + 1;
                        break;
                    }

                    checkedUpTo = from + next - Vector256<byte>.Count;
                    continue;
                }

                var second = Vector256.Equals(Vector256.LoadUnsafe(ref start, at + PlainSecondSlash), slash)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, at + EscapedSecondSlash), slash);
                var third = Vector256.Equals(Vector256.LoadUnsafe(ref start, at + PlainLastSlash), slash)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, at + MixedLastSlash), slash)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, at + EscapedLastSlash), slash);
                for (var candidates = (first & second & third).ExtractMostSignificantBits(); candidates != 0; candidates &= candidates - 1)
                {
                    if (IsPathAt(bytes[(checkedUpTo + BitOperations.TrailingZeroCount(candidates))..]))
                    {
                        return true;
                    }
                }
            }
        }

        var rest = bytes[checkedUpTo..];
        for (var at = rest.IndexOf((byte)'/'); at >= 0; at = rest.IndexOf((byte)'/'))
        {
            if (IsPathAt(rest[at..]))
            {
                return true;
            }

            rest = rest[(at + 1)..];
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
