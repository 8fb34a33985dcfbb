using System.Buffers;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// Copies a small JSON response body to the caller with its Durable management URLs rewritten into links: read whole
/// into one pooled buffer of at most 64 KiB, the one copy it costs, then written to the caller's pipe around the links
/// <see cref="DurableJson"/> found, with its new length. Every other body streams through <c>StreamCopier</c> untouched.
/// </summary>
internal static class RewrittenJsonCopier
{
    /// <summary>
    /// Whether the body of the response the caller is about to get is one to rewrite: a 2xx with a body (not a
    /// <c>HEAD</c>) that is either of <c>application/json</c> without a content coding and at most
    /// <see cref="DurableJson.MaxBodySize"/> by its <c>Content-Length</c>, or, whatever its framing, type and length,
    /// a response of Durable's own (<paramref name="durableLocation"/>: its <c>Location</c> was a management URL),
    /// which passes only rewritten.
    /// </summary>
    public static bool Applies(HttpContext context, AzureFunctionProxyOptions options, bool durableLocation)
    {
        var response = context.Response;
        return RewriteScope.DurableLinksEnabled(options)
            && response.StatusCode is >= 200 and < 300
            && response.ContentLength != 0
            && !HttpMethods.IsHead(context.Request.Method)
            && (durableLocation
                || (response.ContentLength <= DurableJson.MaxBodySize && IsJson(response.ContentType) && !ContentCoding.IsEncoded(response.Headers.ContentEncoding)));
    }

    /// <summary>Reads the function's body, rewrites it and writes it to the caller, saying why it stopped as <c>StreamCopier</c> does.</summary>
    public static async ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> CopyToCallerAsync(
        Stream function, RewriteScope scope, DurableLinkProtector links, StepTimeout timeout, CancellationToken callerAborted)
    {
        var caller = scope.Caller.HttpContext.Response;
        if (caller.ContentLength > DurableJson.MaxBodySize || ContentCoding.IsEncoded(caller.Headers.ContentEncoding))
        {
            // Only a response of Durable's own comes here so: it cannot be rewritten, and would hand out its key.
            return (StreamCopyResult.SourceFailed, 0, new InvalidDataException(
                "The function's Durable response body is encoded or larger than 64 KiB, so its URLs cannot be rewritten: it is not passed on, as its key could be in it."));
        }

        // A body of unknown length is read to one byte past the most that is rewritten, to know it ended.
        var length = (int)(caller.ContentLength ?? DurableJson.MaxBodySize + 1);
        long written;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var read = 0;
        try
        {
            // Timeout bounds each read, as for any body: a slow function's body is not timed as a whole.
            for (var last = -1; last != 0 && read < length; read += last)
            {
                timeout.Restart();
                try
                {
                    last = await function.ReadAsync(buffer.AsMemory(read, length - read), timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    var result = timeout.HasExpired ? StreamCopyResult.TimedOut
                        : timeout.IsCancellationRequested ? StreamCopyResult.Canceled
                        : StreamCopyResult.SourceFailed;
                    return (result, 0, e);
                }
                finally
                {
                    timeout.Pause();
                }
            }

            if (caller.ContentLength is null ? read > DurableJson.MaxBodySize : read < length)
            {
                // A Durable response too large to rewrite would hand out its key: it fails rather than pass.
                return (StreamCopyResult.SourceFailed, 0, new IOException(caller.ContentLength is null
                    ? "The function's chunked Durable response body is larger than 64 KiB, too large to rewrite: it is not passed on, as its key could be in it."
                    : "The function's response body ended before its Content-Length."));
            }

            // Links are longer than the URLs they replace: room for twice the body, most rewritten bodies, at first.
            using var splices = new DurableJsonSplices(2 * read);
            switch (DurableJson.Rewrite(buffer.AsSpan(0, read), scope, links, splices))
            {
                case DurableJsonResult.Unreadable:
                    return (StreamCopyResult.SourceFailed, 0, new InvalidDataException(
                        "The function's JSON response body does not parse, yet names a Durable Task URL: it is not passed on, as its key could be in it."));
                case DurableJsonResult.OverBudget:
                    return (StreamCopyResult.SourceFailed, 0, new InvalidDataException(
                        $"The function's JSON response body holds more than {DurableJson.MaxRewrittenUrls} Durable Task URLs or {DurableJson.MaxSealedLinks} instances' (as many links to seal), or its links would make it more than {DurableJson.MaxGrowthFactor} times its size: it is not passed on, as their key is in it."));
            }

            if (NamesWebhookOutsideLinks(buffer.AsSpan(0, read), splices.Splices))
            {
                return (StreamCopyResult.SourceFailed, 0, new InvalidDataException(
                    "The function's JSON response body names a Durable Task management URL the proxy does not rewrite there (not a URL string on the function's origin): it is not passed on, as its key could follow."));
            }

            written = Write(caller, buffer.AsSpan(0, read), splices);
        }
        finally
        {
            // What was read is cleared (the function's bytes may hold the system key) before another renter sees it.
            buffer.AsSpan(0, read).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // The caller's pipe holds the body now: the function's bytes and the links are let go before a slow caller drains
        // it, so each slow reader holds its body once, as one of plain JSON does.
        try
        {
            await caller.BodyWriter.FlushAsync(callerAborted).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return (StreamCopyResult.DestinationFailed, 0, e);
        }

        return (StreamCopyResult.Success, written, null);
    }

    // The body with each splice's replacement in its place, straight into the caller's pipe, its length set first.
    private static long Write(HttpResponse caller, ReadOnlySpan<byte> body, DurableJsonSplices splices)
    {
        long length = body.Length;
        foreach (var splice in splices.Splices)
        {
            length += splice.LinkLength - (splice.End - splice.Start);
        }

        caller.ContentLength = length;
        var pipe = caller.BodyWriter;
        var copied = 0;
        foreach (var splice in splices.Splices)
        {
            pipe.Write(body[copied..splice.Start]);
            pipe.Write(splices.Replacement(splice));
            copied = splice.End;
        }

        pipe.Write(body[copied..]);
        return length;
    }

    // What is left of the body around the links: a webhook path there (a property name, longer text, another name of
    // the host) is one the rewriter does not take, and its key would pass. No spelling crosses a link, a whole string.
    private static bool NamesWebhookOutsideLinks(ReadOnlySpan<byte> body, ReadOnlySpan<DurableJsonSplice> splices)
    {
        var start = 0;
        foreach (var splice in splices)
        {
            if (ManagementUrlScan.Holds(body[start..splice.Start]))
            {
                return true;
            }

            start = splice.End;
        }

        return ManagementUrlScan.Holds(body[start..]);
    }

    // application/json, with or without parameters (a charset), in any case.
    private static bool IsJson(string? contentType)
    {
        const string json = "application/json";
        var value = contentType.AsSpan().Trim();
        return value.StartsWith(json, StringComparison.OrdinalIgnoreCase)
            && (value.Length == json.Length || value[json.Length] is ';' or ' ' or '\t');
    }
}
