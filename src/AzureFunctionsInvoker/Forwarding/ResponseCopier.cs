using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The step after the exchange: copies the response head a backend gave to the caller (status and headers, what the
/// function says of its own address rewritten for the mount), then its body, streamed, or read whole and rewritten
/// when it is a small JSON body that may hold Durable management URLs.
/// </summary>
internal sealed class ResponseCopier
{
    private delegate string? ValueRewriter(string value, in RewriteScope scope, DurableLinkProtector links);

    private readonly ILogger _logger;
    private readonly EventStreamDrain? _drain;
    private readonly DurableLinkProtector? _links;

    /// <summary>
    /// Event streams end when <paramref name="drain"/> (the app's; none in an app without a host) ends them. Responses
    /// are rewritten for the callers of a mount, Durable links made by <paramref name="links"/>; without it nothing is
    /// rewritten.
    /// </summary>
    public ResponseCopier(ILogger logger, EventStreamDrain? drain, DurableLinkProtector? links = null)
    {
        _logger = logger;
        _drain = drain;
        _links = links;
    }

    /// <summary>
    /// The literal start of the mount's endpoint route pattern (<c>/orders</c> of <c>/orders/{**rest}</c>), route group
    /// prefixes included, which the caller's address of the function holds after its path base; empty for a branch.
    /// Set before the first request.
    /// </summary>
    public PathString EndpointPrefix { get; set; }

    /// <summary>
    /// Copies the head of the response of <paramref name="exchange"/>, which <paramref name="backend"/> gave, to the
    /// caller. <see cref="ForwarderError.None"/> when its body is to follow (<paramref name="rewriteBody"/> for
    /// <see cref="CopyBody"/>), else the failure, logged here; none is thrown. The exchange stays the caller's to dispose.
    /// </summary>
    /// <remarks>
    /// The three steps of a response (this, <see cref="CopyBody"/>, <see cref="BodyCopied"/>) are called, and the body's
    /// copy awaited, by <c>PoolForwarder</c>'s attempt loop rather than by an async method here: an event stream keeps
    /// every suspended frame of its copy for as long as it is open, and this way it keeps two, as YARP's do.
    /// </remarks>
    public ForwarderError CopyHead(HttpContext context, in FunctionForwarder.ExchangeResult exchange, Backend backend, out bool rewriteBody)
    {
        rewriteBody = false;
        var response = exchange.Response!;
        var options = backend.Options;
        var method = context.Request.Method;
        var url = exchange.Request.RequestUri;
        if ((int)response.StatusCode < StatusCodes.Status200OK)
        {
            // A 101 comes with the raw connection as its body: passing it on would hand the caller unframed bytes.
            return ForwarderErrors.Report(_logger, ForwarderError.InformationalResponse, new(options, method, (int)response.StatusCode, Url: url));
        }

        if (HeaderRules.HasInvalidFraming(response))
        {
            var invalidLength = new HttpRequestException(HttpRequestError.InvalidResponse, "The function's response has an invalid Content-Length.");
            return ForwarderErrors.Report(_logger, ForwarderError.ResponseBodyFailed, new(options, method, (int)response.StatusCode, invalidLength, url));
        }

        context.Response.StatusCode = (int)response.StatusCode;
        HeaderRules.CopyResponseHeaders(response, context.Response, _logger, backend.Headers);

        // What the function says of its own address is rewritten for the caller; a Durable Location marks a response of
        // Durable's own, whose body is rewritten even when chunked. Only a response with such a header, or a 2xx JSON
        // body, has anything to rewrite: every other response enters none of the rewriters.
        var headers = context.Response.Headers;
        var addressHeaders = headers.Location.Count > 0 || headers.ContentLocation.Count > 0 || headers.SetCookie.Count > 0;
        var json = response.IsSuccessStatusCode && MayBeJson(context.Response.ContentType);
        var rewrite = _links is not null && (addressHeaders || json) && RewriteScope.AnyEnabled(options);
        var durable = rewrite && addressHeaders && RewriteHeaders(headers, Scope(context, exchange, backend), _links!);
        rewriteBody = rewrite && (durable || json) && RewrittenJsonCopier.Applies(context, options, durable);

        if (ManagementUrlScan.LeftInHeaders(headers, options))
        {
            return ForwarderErrors.Report(_logger, ForwarderError.ResponseBodyFailed, new(options, method, (int)response.StatusCode, new InvalidDataException(
                "The function's Location or Content-Location names a Durable Task management URL the proxy does not rewrite: it is not passed on, as its key could be in it."), url));
        }

        return ForwarderError.None;
    }

    /// <summary>
    /// Starts copying <paramref name="body"/>, the function's response body, to the caller, after <see cref="CopyHead"/>:
    /// read whole and rewritten (<paramref name="rewriteBody"/>), else streamed and scanned. An event stream is watched
    /// by the app's drain through <paramref name="draining"/>, which the caller disposes once the copy is done, after
    /// passing whether it ended the stream to <see cref="BodyCopied"/>.
    /// </summary>
    public ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> CopyBody(
        HttpContext context, in FunctionForwarder.ExchangeResult exchange, Backend backend, Stream body, bool rewriteBody, out CancellationTokenRegistration draining)
    {
        var timeout = exchange.Request.Timeout;

        // Response buffering middleware (compression, caching) would otherwise hold an event stream back from the caller.
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // An event stream is never cached, and ends cleanly rather than be cut off when the host stops.
        draining = IsEventStream(context.Response.ContentType) ? EventStreamDrain.Watch(context, _drain, timeout) : default;

        // Only a small JSON body that may hold Durable management URLs is read whole, to rewrite them; every other body
        // is scanned as it streams, so a management URL is cut before it leaves.
        return rewriteBody
            ? RewrittenJsonCopier.CopyToCallerAsync(body, Scope(context, exchange, backend), _links!, timeout, context.RequestAborted)
            : StreamCopier.CopyToCallerAsync(body, context.Response.Body, timeout, context.RequestAborted, scan: ManagementUrlScan.Applies(context, backend.Options));
    }

    /// <summary>
    /// The caller's outcome of a body's copy that ended with <paramref name="result"/> (and <paramref name="exception"/>),
    /// logged here: <paramref name="drained"/> says whether the app's drain ended the event stream, which is no failure.
    /// </summary>
    public ForwarderError BodyCopied(HttpContext context, in FunctionForwarder.ExchangeResult exchange, Backend backend, StreamCopyResult result, Exception? exception, bool drained)
    {
        if (result is StreamCopyResult.TimedOut && drained)
        {
            Log.EventStreamEnded(_logger, backend.Name);
            return ForwarderError.None;
        }

        var failure = new ForwarderFailure(backend.Options, context.Request.Method, Exception: exception, Url: exchange.Request.RequestUri);
        return result switch
        {
            StreamCopyResult.Success => ForwarderError.None,
            StreamCopyResult.SourceFailed => ForwarderErrors.Report(_logger, ForwarderError.ResponseBodyFailed, failure),
            StreamCopyResult.TimedOut => ForwarderErrors.Report(_logger, ForwarderError.FunctionTimedOut, failure),

            // A write to the caller fails when the caller is gone, whether or not its abort was signalled yet.
            _ => ForwarderErrors.Report(_logger, ForwarderError.CallerAborted, failure),
        };
    }

    /// <summary>
    /// Rewrites what the function's response headers say about its own address, once they are copied to the caller's
    /// response: <c>Location</c> and <c>Content-Location</c> (a Durable management URL into a link, one on the function's
    /// route onto the mount) and each <c>Set-Cookie</c>, every value of each. Returns whether the <c>Location</c> was a
    /// Durable management URL, which makes the response one of Durable's own (a starter's <c>CreateCheckStatusResponse</c>,
    /// a running instance's status) whatever its framing. A response without these headers is only looked at.
    /// </summary>
    public static bool RewriteHeaders(IHeaderDictionary headers, in RewriteScope scope, DurableLinkProtector links)
    {
        var options = scope.Options;
        var durable = false;
        if (options.RewriteRedirects || RewriteScope.DurableLinksEnabled(options))
        {
            if (headers.Location.Count > 0)
            {
                durable = RewriteScope.DurableLinksEnabled(options) && AnyIsManagementUrl(headers.Location, scope.FunctionUrl);
                if (RewriteEach(headers.Location, scope, links, RewriteReference) is { } location)
                {
                    headers.Location = location;
                }
            }

            if (headers.ContentLocation.Count > 0 && RewriteEach(headers.ContentLocation, scope, links, RewriteReference) is { } contentLocation)
            {
                headers.ContentLocation = contentLocation;
            }
        }

        if (options.RewriteCookies && headers.SetCookie.Count > 0 && RewriteEach(headers.SetCookie, scope, links, static (value, in scope, _) => CookieRewriter.Rewrite(value, scope)) is { } cookies)
        {
            headers.SetCookie = cookies;
        }

        return durable;
    }

    private static bool AnyIsManagementUrl(StringValues values, Uri url)
    {
        foreach (var value in values)
        {
            if (value is not null && MayBeManagementUrl(value) && DurableUrlRewriter.IsManagementUrl(value, url))
            {
                return true;
            }
        }

        return false;
    }

    private static string? RewriteReference(string value, in RewriteScope scope, DurableLinkProtector links) =>
        (RewriteScope.DurableLinksEnabled(scope.Options) && MayBeManagementUrl(value) ? DurableUrlRewriter.Rewrite(value, scope, links) : null)
        ?? (scope.Options.RewriteRedirects ? scope.RewriteRedirect(value) : null);

    // A management URL's path starts with the webhook path: a value without it is none, and is judged no further.
    private static bool MayBeManagementUrl(string value) => value.Contains(DurableLink.WebhookPath, StringComparison.OrdinalIgnoreCase);

    // The values with those the rewriter changed replaced, in their order; null when none changed.
    private static StringValues? RewriteEach(StringValues values, in RewriteScope scope, DurableLinkProtector links, ValueRewriter rewrite)
    {
        string[]? rewritten = null;
        for (var i = 0; i < values.Count; i++)
        {
            if (rewrite(values[i] ?? string.Empty, scope, links) is { } value)
            {
                rewritten ??= values.ToArray()!;
                rewritten[i] = value;
            }
        }

        return rewritten is null ? null : (StringValues?)new StringValues(rewritten);
    }

    // What the function says of its own address, as the caller of this mount addresses it.
    private RewriteScope Scope(HttpContext context, in FunctionForwarder.ExchangeResult exchange, Backend backend) =>
        new(exchange.Request.RequestUri!, backend.FunctionPath, context.Request, EndpointPrefix, backend.Options, backend.MountSuffix);

    // Whether the body may be JSON (application/json, for RewrittenJsonCopier): a type without "json" in it is not.
    private static bool MayBeJson(string? contentType) => contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static bool IsEventStream(string? contentType) =>
        contentType is not null && contentType.AsSpan().TrimStart().StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
