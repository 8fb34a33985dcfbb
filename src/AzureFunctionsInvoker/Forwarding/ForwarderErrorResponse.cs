using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What the caller sees for each <see cref="ForwarderError"/> (its row in <see cref="ForwarderErrors"/>): a status with a small problem-details body
/// (through the app's <see cref="IProblemDetailsService"/> when it registered one) or, once the response has
/// started, a reset stream (HTTP/2 and HTTP/3) or an aborted connection (HTTP/1.1), so a truncated body never looks
/// complete. Never a stack trace, never a key.
/// </summary>
internal static class ForwarderErrorResponse
{
    private const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
    private const int Http2InternalError = 0x2;
    private const int Http2Cancel = 0x8;
    private const int Http3InternalError = 0x102;
    private const int Http3RequestCancelled = 0x10c;

    /// <summary>Answers the caller for <paramref name="error"/>; nothing for <see cref="ForwarderError.None"/> or a caller that went away.</summary>
    public static Task WriteAsync(HttpContext context, ForwarderError error)
    {
        var entry = ForwarderErrors.Describe(error);
        if (entry.Status == 0)
        {
            return Task.CompletedTask;
        }

        if (context.Response.HasStarted)
        {
            // The proxy gave the stream up itself when the function ran out of time; otherwise a side failed.
            ResetOrAbort(context, gaveUp: error == ForwarderError.FunctionTimedOut);
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = entry.Status;
        if (error == ForwarderError.MethodNotAllowed)
        {
            // RFC 9110 15.5.6: a 405 lists what is allowed. Any other method is forwarded; these are the usual ones.
            context.Response.Headers.Allow = AllowedMethods;
        }

        return WriteProblemAsync(context, entry.Status, entry.Title, entry.Detail);
    }

    /// <summary>
    /// Answers the caller for <paramref name="error"/> after a forward; when the app's request timeout policy ended the
    /// forward (not the caller), throws as endpoints that observe <c>RequestAborted</c> do, so its middleware answers
    /// (504 by default).
    /// </summary>
    public static Task WriteAfterForwardAsync(HttpContext context, ForwarderError error)
    {
        if (error == ForwarderError.CallerAborted && !context.Response.HasStarted && context.Features.Get<IHttpRequestTimeoutFeature>() is { } requestTimeout)
        {
            requestTimeout.RequestTimeoutToken.ThrowIfCancellationRequested();
        }

        return WriteAsync(context, error);
    }

    // An HTTP/2 or HTTP/3 caller loses just this stream and keeps its connection, with the other requests on it; an
    // HTTP/1.1 connection is closed, the only way it can say that the body is incomplete. The code says whether the
    // proxy gave the stream up (the function ran out of time) or the exchange broke (RFC 9113 section 7, RFC 9114
    // section 8.1).
    private static void ResetOrAbort(HttpContext context, bool gaveUp)
    {
        var reset = context.Features.Get<IHttpResetFeature>();
        var protocol = context.Request.Protocol;
        if (reset is not null && HttpProtocol.IsHttp2(protocol))
        {
            reset.Reset(gaveUp ? Http2Cancel : Http2InternalError);
        }
        else if (reset is not null && HttpProtocol.IsHttp3(protocol))
        {
            reset.Reset(gaveUp ? Http3RequestCancelled : Http3InternalError);
        }
        else
        {
            context.Abort();
        }
    }

    private static async Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        var problemDetails = context.RequestServices.GetService<IProblemDetailsService>();
        if (problemDetails is not null && await problemDetails.TryWriteAsync(new()
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false))
        {
            return;
        }

        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsync(
            $$"""{"title":"{{title}}","status":{{status}},"detail":"{{detail}}"}""",
            context.RequestAborted).ConfigureAwait(false);
    }
}
