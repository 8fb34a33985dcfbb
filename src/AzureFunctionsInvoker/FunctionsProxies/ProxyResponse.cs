using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Applies a proxy's <c>responseOverrides</c> to what the caller gets: to the backend's response as copied (its status
/// and headers are the <c>backend.response.*</c> variables), or to an empty 200 for a proxy without a backend. Every
/// value is made before any is applied, so <c>{backend.response.statusCode}</c> is the backend's even where the status
/// is overridden. A value with a control or non-ASCII character is not written: it could only come from a caller's value.
/// </summary>
internal static class ProxyResponse
{
    // What a field value or reason phrase may hold as Kestrel writes it: HTAB and printable ASCII. A control character
    // would split the head; a non-ASCII one makes Kestrel throw, a 500 any caller could cause with a query value.
    private static readonly SearchValues<char> s_writable = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // What describes the backend's body, which a replaced body no longer is.
    private static readonly string[] s_bodyHeaders =
        [HeaderNames.ContentLength, HeaderNames.ContentEncoding, HeaderNames.ContentRange, HeaderNames.ContentMD5, HeaderNames.ETag, HeaderNames.TransferEncoding];

    /// <summary>A response made of <paramref name="overrides"/> alone (a mock or a redirect): 200 and no body unless they say otherwise.</summary>
    public static Task WriteMockAsync(HttpContext context, ProxyResponseOverrides? overrides)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return overrides is null ? Task.CompletedTask : WriteOverridesAsync(context, overrides);
    }

    /// <summary>Applies <paramref name="overrides"/> to the response head and writes its body, replacing any.</summary>
    public static Task WriteOverridesAsync(HttpContext context, ProxyResponseOverrides overrides)
    {
        var body = overrides.Body?.Render(context, null, default, TemplateEncoding.Plain);
        ApplyHead(context, overrides);
        var response = context.Response;
        if (body is null)
        {
            return Task.CompletedTask;
        }

        foreach (var name in s_bodyHeaders)
        {
            response.Headers.Remove(name);
        }

        if (HttpMethods.IsHead(context.Request.Method) || response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return Task.CompletedTask;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// Applies <paramref name="overrides"/> to the head as the response starts (the backend's body then streams as it
    /// is), unless <see cref="HeadOverrides.Skip"/> says the forward failed and the caller gets the proxy's error instead.
    /// </summary>
    public static HeadOverrides OnStarting(HttpContext context, ProxyResponseOverrides overrides)
    {
        var head = new HeadOverrides(context, overrides);
        context.Response.OnStarting(static state => ((HeadOverrides)state).Apply(), head);
        return head;
    }

    private static void ApplyHead(HttpContext context, ProxyResponseOverrides overrides)
    {
        var status = overrides.StatusCode?.Render(context, null, default, TemplateEncoding.Plain);
        var reason = overrides.StatusReason?.Render(context, null, default, TemplateEncoding.Plain);
        var headers = new (string Name, string Value)[overrides.Headers.Count];
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = (overrides.Headers[i].Name, overrides.Headers[i].Value.Render(context, null, default, TemplateEncoding.Plain));
        }

        var response = context.Response;
        if (int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 200 and <= 599)
        {
            response.StatusCode = code;
        }

        if (reason is not null && !reason.AsSpan().ContainsAnyExcept(s_writable) && context.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }

        foreach (var (name, value) in headers)
        {
            if (value.Length == 0)
            {
                response.Headers.Remove(name);
            }
            else if (!value.AsSpan().ContainsAnyExcept(s_writable))
            {
                response.Headers[name] = value;
            }
        }
    }

    /// <summary>Response overrides waiting for the response to start.</summary>
    internal sealed class HeadOverrides(HttpContext context, ProxyResponseOverrides overrides)
    {
        private bool _skipped;

        /// <summary>The forward failed: the caller gets the proxy's error as it is.</summary>
        public void Skip() => _skipped = true;

        public Task Apply()
        {
            if (!_skipped)
            {
                ApplyHead(context, overrides);
            }

            return Task.CompletedTask;
        }
    }
}
