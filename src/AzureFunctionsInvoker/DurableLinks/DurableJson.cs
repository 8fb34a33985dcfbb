using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
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
    /// The most management URLs rewritten in one body: a page of about 33 instances as <c>CreateHttpManagementPayload</c>
    /// writes them (eight or nine URLs each). Each distinct link costs a Data Protection token, so more would let a function (or a
    /// caller, through an orchestration's input it reflects) make one response cost the proxy tens of milliseconds.
    /// </summary>
    public const int MaxRewrittenUrls = 300;

    /// <summary>How many times its own size (plus <see cref="GrowthAllowance"/>) a rewritten body may grow to.</summary>
    public const int MaxGrowthFactor = 3;

    /// <summary>What a rewritten body may grow by beyond <see cref="MaxGrowthFactor"/> times its size: a few links for a tiny body.</summary>
    public const int GrowthAllowance = 4 * 1024;

    // Any depth a body of MaxBodySize can have: the reader keeps depth in a bit stack, not on the call stack.
    private static readonly JsonReaderOptions s_reader = new() { MaxDepth = MaxBodySize + 1 };

    /// <summary>
    /// Finds the management URLs of <paramref name="json"/> and adds to <paramref name="splices"/>, in order, where each is
    /// and the link that replaces it; says whether there was any, or whether the body cannot be passed on at all
    /// (unreadable, or over the budget: more than <see cref="MaxRewrittenUrls"/> URLs, or rewritten larger than
    /// <see cref="MaxGrowthFactor"/> times its size plus <see cref="GrowthAllowance"/>, where reading stops).
    /// The body is left as it is, to be written around the splices with no copy of its own.
    /// </summary>
    public static DurableJsonResult Rewrite(ReadOnlySpan<byte> json, in RewriteScope scope, DurableLinkProtector links, List<DurableJsonSplice> splices)
    {
        if (CannotNameWebhook(json))
        {
            return DurableJsonResult.Unchanged;
        }

        var reader = new Utf8JsonReader(json, s_reader);
        var maxLength = ((long)json.Length * MaxGrowthFactor) + GrowthAllowance;
        long length = json.Length;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { } value
                    || DurableUrlRewriter.Rewrite(value, scope, links) is not { } link)
                {
                    continue;
                }

                var replacement = Quoted(link);
                length += replacement.Length - (reader.BytesConsumed - reader.TokenStartIndex);
                if (splices.Count == MaxRewrittenUrls || length > maxLength)
                {
                    return DurableJsonResult.OverBudget;
                }

                splices.Add(new DurableJsonSplice((int)reader.TokenStartIndex, (int)reader.BytesConsumed, replacement));
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

        return splices.Count == 0 ? DurableJsonResult.Unchanged : DurableJsonResult.Rewritten;
    }

    // The link as a JSON string, quotes included. The default encoder escapes <, >, &, ', " and + (and non-ASCII): a
    // link's query, which a caller can write through an orchestration's input, never comes out as raw HTML however the
    // function had escaped it. A link it leaves as it is (most: a token is base64url) is copied without an encoding.
    private static byte[] Quoted(string link)
    {
        if (Ascii.IsValid(link))
        {
            var ascii = new byte[link.Length + 2];
            Encoding.ASCII.GetBytes(link, ascii.AsSpan(1));
            if (JavaScriptEncoder.Default.FindFirstCharacterToEncodeUtf8(ascii.AsSpan(1, link.Length)) < 0)
            {
                ascii[0] = ascii[^1] = (byte)'"';
                return ascii;
            }
        }

        var encoded = JsonEncodedText.Encode(link, JavaScriptEncoder.Default).EncodedUtf8Bytes;
        var replacement = new byte[encoded.Length + 2];
        replacement[0] = replacement[^1] = (byte)'"';
        encoded.CopyTo(replacement.AsSpan(1));
        return replacement;
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
