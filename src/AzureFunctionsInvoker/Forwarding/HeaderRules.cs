using AzureFunctionsInvoker.Diagnostics;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What HTTP requires of a proxy for the headers that cross it, in both directions: end-to-end headers are copied with
/// all their values; hop-by-hop headers (RFC 9110 7.6.1), and every header the sender's <c>Connection</c> header
/// names, stay behind; the function's <c>Host</c> and the caller's <c>Content-Length</c> come from the proxy's own
/// request and response; a value with a control character is never written; a response without a trustworthy length
/// is refused. What the proxy drops or sets by its own choice (and the user's removals) is a backend's
/// <see cref="Backend.HeaderPolicy"/>, which these rules apply.
/// </summary>
internal static class HeaderRules
{
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";

    /// <summary>The caller's headers HTTP keeps from the function: the hop-by-hop ones, and <c>Host</c>, which the options choose.</summary>
    public static readonly string[] LeftBehindInRequests =
    [
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.ProxyAuthorization,
        "Proxy-Connection",
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.TransferEncoding,
        HeaderNames.Upgrade,
        HeaderNames.Host,
    ];

    /// <summary>The function's headers HTTP keeps from the caller: the hop-by-hop ones, and <c>Content-Length</c>, set from its parsed value.</summary>
    public static readonly string[] LeftBehindInResponses =
    [
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.ProxyAuthenticate,
        "Proxy-Connection",
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.TransferEncoding,
        HeaderNames.Upgrade,
        HeaderNames.ContentLength,
    ];

    // Control characters other than HTAB, which RFC 9110 5.5 does not allow in a field value. HttpClient writes
    // values added without validation as they are: CR or LF would start a header (or a request) of the sender's
    // choosing on the function's connection. Kestrel refuses CR, LF and NUL from HTTP/1.1 callers, but lets the
    // others through, and the app's own middleware can set any of them.
    private static readonly SearchValues<char> s_controls = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\n\u000b\u000c\r\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f");

    /// <summary>
    /// Copies the caller's end-to-end headers onto <paramref name="request"/> (content headers onto its content,
    /// dropped when there is no body), less those <paramref name="policy"/> drops, then sets the ones the proxy owns:
    /// the function key, the client id and the <c>X-Forwarded-*</c> headers, each replacing what the caller sent. The
    /// caller's trace context headers are dropped when the request is traced. Returns <see langword="false"/>, with
    /// the request incomplete, when a value to copy holds a control character other than HTAB: such a request is the
    /// caller's error and must not be sent.
    /// </summary>
    public static bool CopyRequestHeaders(HttpContext context, HttpRequestMessage request, Backend.HeaderPolicy policy)
    {
        var headers = context.Request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith(':') || IsNamedIn(connection, name) || policy.DropsRequestHeader(name))
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

        if (policy.ApiKey is { } apiKey)
        {
            Replace(request, Backend.HeaderPolicy.FunctionsKey, apiKey);
        }

        if (policy.ClientId is { } clientId)
        {
            Replace(request, Backend.HeaderPolicy.FunctionsClientId, clientId);
        }

        if (policy.AddXForwardedHeaders)
        {
            Replace(request, XForwardedFor, context.Connection.RemoteIpAddress?.ToString());
            Replace(request, XForwardedProto, context.Request.Scheme);
            Replace(request, XForwardedHost, context.Request.Host.Value);
        }

        return true;
    }

    /// <summary>
    /// Copies the function's end-to-end response and content headers onto the caller's response, less those
    /// <paramref name="policy"/> drops. A header the server refuses to send (say, a non-ASCII character in its value)
    /// is dropped and logged by name.
    /// </summary>
    public static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse destination, ILogger logger, Backend.HeaderPolicy policy)
    {
        response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection);
        CopyResponseHeaders(response.Headers.NonValidated, connection, policy, destination.Headers, logger);
        CopyResponseHeaders(response.Content.Headers.NonValidated, connection, policy, destination.Headers, logger);

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

    private static void CopyResponseHeaders(HttpHeadersNonValidated source, HeaderStringValues connection, Backend.HeaderPolicy policy, IHeaderDictionary destination, ILogger logger)
    {
        foreach (var (name, values) in source)
        {
            if (policy.DropsResponseHeader(name) || IsNamedIn(connection, name))
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
            if (Names(value, name))
            {
                return true;
            }
        }

        return false;
    }

    // The response's Connection values as HttpClient keeps them, read without copying them into an array.
    private static bool IsNamedIn(HeaderStringValues connection, string name)
    {
        if (connection.Count == 0)
        {
            return false;
        }

        foreach (var value in connection)
        {
            if (Names(value, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Names(string? connectionValue, string name)
    {
        foreach (var range in connectionValue.AsSpan().Split(','))
        {
            if (connectionValue.AsSpan()[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
