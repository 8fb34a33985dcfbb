using AzureFunctionsInvoker.Diagnostics;
using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Which headers cross the proxy, in both directions. End-to-end headers are copied with all their values;
/// hop-by-hop headers (RFC 9110 7.6.1), and every header the sender's <c>Connection</c> header names, stay behind,
/// as do the headers that let a caller override the URL or method the function's framework sees, and the
/// function's own key and client id in a response that reflects them.
/// </summary>
internal static class HeaderRules
{
    private const string FunctionsKey = "x-functions-key";
    private const string FunctionsClientId = "x-functions-clientid";
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";

    private static readonly FrozenSet<string> s_requestExcluded = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.ProxyAuthorization,
        "Proxy-Connection",
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.TransferEncoding,
        HeaderNames.Upgrade,
        // The function's host comes from the options, never from the caller.
        HeaderNames.Host,
        // IIS URL Rewrite and several frameworks replace the request's URL or method with these after every
        // check the proxy made on the real ones.
        "X-Original-URL",
        "X-Rewrite-URL",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
        // App Service's front end sets it to the URL it received; a framework behind it may rebuild the URL from it.
        "X-WAWS-Unencoded-URL");

    // Identities App Service Authentication vouches for: a function that trusts them must get them from Azure only.
    private static readonly string[] s_requestExcludedPrefixes = ["X-MS-CLIENT-PRINCIPAL", "X-MS-TOKEN-"];

    // Client addresses a caller could forge next to the X-Forwarded-* the proxy sets (while it sets them).
    private static readonly FrozenSet<string> s_forgeableClientAddress = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase, "Forwarded", "X-Real-IP", "True-Client-IP", "X-Client-IP");

    private static readonly FrozenSet<string> s_responseExcluded = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.ProxyAuthenticate,
        "Proxy-Connection",
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.TransferEncoding,
        HeaderNames.Upgrade,
        // Set from its parsed value instead, below.
        HeaderNames.ContentLength,
        // Alternative services of the function's host are not alternatives for this app's host.
        HeaderNames.AltSvc,
        // A function that reflects its request (a TRACE-like echo, a debug endpoint) would hand out the key.
        FunctionsKey,
        FunctionsClientId);

    // Control characters other than HTAB, which RFC 9110 5.5 does not allow in a field value. HttpClient writes
    // values added without validation as they are: CR or LF would start a header (or a request) of the sender's
    // choosing on the function's connection. Kestrel refuses CR, LF and NUL from HTTP/1.1 callers, but lets the
    // others through, and the app's own middleware can set any of them.
    private static readonly SearchValues<char> s_controls = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\n\u000b\u000c\r\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f");

    /// <summary>
    /// Copies the caller's end-to-end headers onto <paramref name="request"/> (content headers onto its content,
    /// dropped when there is no body), then sets the ones the proxy owns: the function key, the client id and
    /// the <c>X-Forwarded-*</c> headers, each replacing what the caller sent (and a caller's <c>Forwarded</c>).
    /// The caller's trace context headers are dropped when the request is traced, and so are the headers
    /// <paramref name="removed"/> names (the function's <c>RemoveRequestHeaders</c>). Returns <see langword="false"/>,
    /// with the request incomplete, when a value to copy holds a control character other than HTAB: such a request
    /// is the caller's error and must not be sent.
    /// </summary>
    public static bool CopyRequestHeaders(HttpContext context, HttpRequestMessage request, AzureFunctionProxyOptions options, FrozenSet<string>? removed = null)
    {
        var headers = context.Request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith(':') || IsNamedIn(connection, name) || IsDroppedRequestHeader(name, options, removed))
            {
                continue;
            }

            if (HasControlCharacter(values))
            {
                return false;
            }

            if (!TryAdd(request.Headers, name, values) && request.Content is { } content)
            {
                TryAdd(content.Headers, name, values);
            }
        }

        // Traced, the proxy's span is the function's parent: the transport writes the current trace context in
        // place of the caller's (which the current span already continues).
        if (Activity.Current is not null)
        {
            foreach (var field in DistributedContextPropagator.Current.Fields)
            {
                request.Headers.Remove(field);
            }
        }

        // Unconfigured, a caller's own key or client id passes through, as with the plugin.
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            Replace(request, FunctionsKey, options.ApiKey);
        }

        if (!string.IsNullOrEmpty(options.ClientId))
        {
            Replace(request, FunctionsClientId, options.ClientId);
        }

        if (options.AddXForwardedHeaders)
        {
            Replace(request, XForwardedFor, context.Connection.RemoteIpAddress?.ToString());
            Replace(request, XForwardedProto, context.Request.Scheme);
            Replace(request, XForwardedHost, context.Request.Host.Value);
        }

        return true;
    }

    /// <summary>
    /// Copies the function's end-to-end response and content headers onto the caller's response, less those
    /// <paramref name="removed"/> names (the function's <c>RemoveResponseHeaders</c>). A header the server refuses to
    /// send (say, a non-ASCII character in its value) is dropped and logged by name.
    /// </summary>
    public static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse destination, ILogger logger, FrozenSet<string>? removed = null)
    {
        var connection = response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var named)
            ? new StringValues(named.ToArray())
            : StringValues.Empty;

        CopyResponseHeaders(response.Headers.NonValidated, connection, removed, destination.Headers, logger);
        CopyResponseHeaders(response.Content.Headers.NonValidated, connection, removed, destination.Headers, logger);

        // Parsed rather than copied: a function may repeat it ("5, 5"), which the server would refuse. A chunked
        // body's Content-Length is not its length (RFC 9112 6.3: Transfer-Encoding overrides it) and is not passed on.
        destination.ContentLength = response.Headers.TransferEncodingChunked == true ? null : response.Content.Headers.ContentLength;
    }

    /// <summary>
    /// Whether the response's body has no trustworthy length: a Content-Length that does not parse, or repeated ones
    /// that disagree, without chunked framing to override it. HttpClient reads the first of several and an invalid
    /// one as none (until the connection closes); a proxy must answer 502 instead (RFC 9112 6.3).
    /// </summary>
    public static bool HasInvalidFraming(HttpResponseMessage response)
    {
        if (response.Headers.TransferEncodingChunked == true
            || !response.Content.Headers.NonValidated.TryGetValues(HeaderNames.ContentLength, out var values))
        {
            return false;
        }

        if (response.Content.Headers.ContentLength is not long length)
        {
            return true;
        }

        if (values.Count > 1)
        {
            foreach (var value in values)
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var repeated) || repeated != length)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void CopyResponseHeaders(HttpHeadersNonValidated source, StringValues connection, FrozenSet<string>? removed, IHeaderDictionary destination, ILogger logger)
    {
        foreach (var (name, values) in source)
        {
            if (s_responseExcluded.Contains(name) || IsNamedIn(connection, name) || removed?.Contains(name) == true)
            {
                continue;
            }

            try
            {
                destination[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues(values.ToArray());
            }
            catch (InvalidOperationException)
            {
                Log.ResponseHeaderDropped(logger, name);
            }
        }
    }

    // CGI-style readers (IIS server variables, PHP, WSGI) see X_Original_URL and X-Original-URL as one name, so a
    // name is judged with its underscores read as hyphens.
    private static bool IsDroppedRequestHeader(string name, AzureFunctionProxyOptions options, FrozenSet<string>? removed)
    {
        if (name.Contains('_'))
        {
            name = name.Replace('_', '-');
        }

        if (s_requestExcluded.Contains(name) || removed?.Contains(name) == true)
        {
            return true;
        }

        // The proxy's own, when configured: replaced below, and no twin may ride beside them.
        if ((!string.IsNullOrEmpty(options.ApiKey) && name.Equals(FunctionsKey, StringComparison.OrdinalIgnoreCase))
            || (!string.IsNullOrEmpty(options.ClientId) && name.Equals(FunctionsClientId, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        foreach (var prefix in s_requestExcludedPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // RFC 7239's Forwarded, X-Forwarded-* and their kin would carry a caller's forged address next to ours.
        return options.AddXForwardedHeaders
            && (s_forgeableClientAddress.Contains(name) || name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase));
    }

    // A single value is added as the string it is: StringValues passed as IEnumerable would be boxed and enumerated.
    private static bool TryAdd(HttpHeaders headers, string name, StringValues values) =>
        values.Count == 1
            ? headers.TryAddWithoutValidation(name, values.ToString())
            : headers.TryAddWithoutValidation(name, values.ToArray());

    private static void Replace(HttpRequestMessage request, string name, string? value)
    {
        request.Headers.Remove(name);
        if (!string.IsNullOrEmpty(value))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static bool HasControlCharacter(StringValues values)
    {
        foreach (var value in values)
        {
            if (value.AsSpan().ContainsAny(s_controls))
            {
                return true;
            }
        }

        return false;
    }

    // Connection: close, x-internal-token  names x-internal-token as hop-by-hop (RFC 9110 7.6.1).
    private static bool IsNamedIn(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
