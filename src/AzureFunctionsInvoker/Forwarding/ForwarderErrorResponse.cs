using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What the caller sees for each <see cref="ForwarderError"/>: a status with a small problem-details body
/// (through the app's <see cref="IProblemDetailsService"/> when it registered one) or, once the response has
/// started, a reset stream (HTTP/2 and HTTP/3) or an aborted connection (HTTP/1.1), so a truncated body never looks
/// complete. Never a stack trace, never a key.
/// </summary>
internal static class ForwarderErrorResponse
{
    private const int Http2InternalError = 0x2;
    private const int Http2Cancel = 0x8;
    private const int Http3InternalError = 0x102;
    private const int Http3RequestCancelled = 0x10c;

    /// <summary>Answers the caller for <paramref name="error"/>; nothing for <see cref="ForwarderError.None"/> or a caller that went away.</summary>
    public static Task WriteAsync(HttpContext context, ForwarderError error)
    {
        if (error is ForwarderError.None or ForwarderError.CallerAborted)
        {
            return Task.CompletedTask;
        }

        // gaveUp: the proxy ended the exchange itself (the function ran out of time) rather than a side failing.
        var (status, title, detail, gaveUp) = error switch
        {
            ForwarderError.UnsafePath => (StatusCodes.Status400BadRequest, "Bad Request", "The request path cannot be forwarded to the function.", false),
            ForwarderError.RequestBodyTooLarge => (StatusCodes.Status413PayloadTooLarge, "Content Too Large", "The request body is larger than the function accepts.", false),
            ForwarderError.RequestBody => (StatusCodes.Status400BadRequest, "Bad Request", "The request body could not be read.", false),
            ForwarderError.FunctionTimeout => (StatusCodes.Status504GatewayTimeout, "Gateway Timeout", "The function did not answer in time.", true),
            _ => (StatusCodes.Status502BadGateway, "Bad Gateway", "The function could not be reached.", false),
        };

        if (context.Response.HasStarted)
        {
            ResetOrAbort(context, gaveUp);
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        return WriteProblemAsync(context, status, title, detail);
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
