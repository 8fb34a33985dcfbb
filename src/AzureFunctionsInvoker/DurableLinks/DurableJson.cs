using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using AzureFunctionsInvoker.Rewriting;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Rewrites the Durable management URLs of a JSON body (<c>CreateCheckStatusResponse</c>'s <c>statusQueryGetUri</c>,
/// <c>sendEventPostUri</c>..., in any property and any casing, in the in-process and the isolated worker's shapes) into
/// links. The body is read as JSON, so escapes (<c>\/</c>, <c>\u0026</c>) mean what they mean; each string value that is
/// such a URL is replaced in place and every other byte is kept as it was.
/// </summary>
internal static class DurableJson
{
    /// <summary>The largest body rewritten; larger ones stream through untouched.</summary>
    public const int MaxBodySize = 64 * 1024;

    /// <summary>
    /// The most management URLs rewritten in one body: a page of 33 instances as <c>CreateHttpManagementPayload</c>
    /// writes them (eight or nine URLs each). Each link is written out (its URL decoded, its payload built, its bytes
    /// sent), so more would let a function (or a caller, through an orchestration's input it reflects) make one response
    /// cost the proxy far more than its size.
    /// </summary>
    public const int MaxRewrittenUrls = 300;

    /// <summary>
    /// The most link tokens sealed for one body: one per instance of such a page (an instance's URLs follow one another
    /// and share its token), so 33. Sealing (AES-GCM) is what a link costs most, and a body whose URLs name another
    /// instance each, or alternate between instances, would otherwise seal one per URL.
    /// </summary>
    public const int MaxSealedLinks = 33;

    /// <summary>How many times its own size (plus <see cref="GrowthAllowance"/>) a rewritten body may grow to.</summary>
    public const int MaxGrowthFactor = 3;

    /// <summary>What a rewritten body may grow by beyond <see cref="MaxGrowthFactor"/> times its size: a few links for a tiny body.</summary>
    public const int GrowthAllowance = 4 * 1024;

    // Any depth a body of MaxBodySize can have: the reader keeps depth in a bit stack, not on the call stack.
    private static readonly JsonReaderOptions s_reader = new() { MaxDepth = MaxBodySize + 1 };

    /// <summary>
    /// Finds the management URLs of <paramref name="json"/> and adds to <paramref name="splices"/>, in order, where each is
    /// and the link that replaces it; says whether there was any, or whether the body cannot be passed on at all
    /// (unreadable, or over the budget: more than <see cref="MaxRewrittenUrls"/> URLs or <see cref="MaxSealedLinks"/>
    /// tokens sealed, or rewritten larger than
    /// <see cref="MaxGrowthFactor"/> times its size plus <see cref="GrowthAllowance"/>, where reading stops).
    /// The body is left as it is, to be written around the splices with no copy of its own.
    /// </summary>
    /// <remarks>
    /// The body is read on its UTF-8 bytes: a string is looked at only when it starts with the origin's scheme and
    /// <c>://</c> (unescaped first when it holds an escape), and only such a string is decoded, into a rented buffer, to be
    /// read as a URL; its link is written into <paramref name="splices"/>' buffer, with no string of its own.
    /// </remarks>
    public static DurableJsonResult Rewrite(ReadOnlySpan<byte> json, in RewriteScope scope, DurableLinkProtector links, DurableJsonSplices splices)
    {
        if (CannotNameWebhook(json))
        {
            return DurableJsonResult.Unchanged;
        }

        var linkScope = DurableLinkScope.Of(scope, links);
        var reader = new Utf8JsonReader(json, s_reader);
        var maxLength = ((long)json.Length * MaxGrowthFactor) + GrowthAllowance;
        long length = json.Length;
        byte[]? unescaped = null;
        char[]? chars = null;
        try
        {
            // Every string is decoded to UTF-16 as the reader's GetString would, so bytes that are not UTF-8 make the
            // body unreadable here as they did when each string was read as a .NET string.
            if (!Utf8.IsValid(json))
            {
                throw new InvalidOperationException("The body is not UTF-8.");
            }

            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }

                var value = reader.ValueSpan;
                if (reader.ValueIsEscaped)
                {
                    // Unescaped whatever it holds: an escape no reader accepts (a lone surrogate) makes the body unreadable.
                    var buffer = Rented(ref unescaped, value.Length);
                    value = buffer.AsSpan(0, reader.CopyString(buffer));
                }

                if (!linkScope.MayBeOnOrigin(value))
                {
                    continue;
                }

                var text = Rented(ref chars, value.Length);
                var url = text.AsSpan(0, Encoding.UTF8.GetChars(value, text));
                var linkStart = splices.BeginLink();
                if (!DurableUrlRewriter.TryWrite(url, linkScope, splices))
                {
                    splices.DiscardLink(linkStart);
                    continue;
                }

                var linkLength = splices.EndLink(linkStart);
                length += linkLength - (reader.BytesConsumed - reader.TokenStartIndex);
                if (splices.Count == MaxRewrittenUrls || linkScope.Sealed > MaxSealedLinks || length > maxLength)
                {
                    return DurableJsonResult.OverBudget;
                }

                splices.Add((int)reader.TokenStartIndex, (int)reader.BytesConsumed, linkStart, linkLength);
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // (ArgumentException: a string holding a lone surrogate, which no link can be encoded from.)
            // A body that is not JSON, yet names a management URL somewhere, cannot be passed on safely.
            // Escapes count: "durable\u0074ask" after a lone surrogate, an invalid byte or "[1,," is still the word.
            return JsonSpelling.MayHold(json, "durabletask")
                ? DurableJsonResult.Unreadable
                : DurableJsonResult.Unchanged;
        }
        finally
        {
            Return(unescaped);
            Return(chars);
        }

        return splices.Count == 0 ? DurableJsonResult.Unchanged : DurableJsonResult.Rewritten;
    }

    // A rented buffer of at least length elements, the one already rented when it is long enough.
    private static T[] Rented<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            Return(buffer);
            buffer = ArrayPool<T>.Shared.Rent(Math.Max(length, 256));
        }

        return buffer;
    }

    // Cleared: the decoded URLs hold the system key, which no other renter of the pool may find.
    private static void Return<T>(T[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<T>.Shared.Return(buffer, clearArray: true);
        }
    }

    // Most JSON answers name no management URL, and are passed on without being read as JSON (a string per value). A
    // body of ASCII with no escape holds its strings as written, so without "durabletask" in any case none of them can
    // name the webhook path, however it parses; escapes or other bytes are read in full.
    private static bool CannotNameWebhook(ReadOnlySpan<byte> json)
    {
        if (json.IndexOfAnyExceptInRange((byte)0, (byte)0x7F) >= 0 || json.Contains((byte)'\\'))
        {
            return false;
        }

        var marker = "durabletask"u8;
        for (var at = json.IndexOfAny((byte)'d', (byte)'D'); at >= 0; at = json.IndexOfAny((byte)'d', (byte)'D'))
        {
            json = json[at..];
            if (json.Length >= marker.Length && Ascii.EqualsIgnoreCase(json[..marker.Length], marker))
            {
                return false;
            }

            json = json[1..];
        }

        return true;
    }
}
