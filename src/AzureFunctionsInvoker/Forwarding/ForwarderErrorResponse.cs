using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What the caller sees for each <see cref="ForwarderError"/>: a status with a small problem-details body
/// (through the app's <see cref="IProblemDetailsService"/> when it registered one) or, once the response has
/// started, an aborted connection, so a truncated body never looks complete. Never a stack trace, never a key.
/// </summary>
internal static class ForwarderErrorResponse
{
    private const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    public static Task WriteAsync(HttpContext context, ForwarderError error)
    {
        if (error is ForwarderError.None or ForwarderError.CallerAborted)
        {
            return Task.CompletedTask;
        }

        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        var (status, title, detail) = error switch
        {
            ForwarderError.UnsafePath => (StatusCodes.Status400BadRequest, "Bad Request", "The request path cannot be forwarded to the function."),
            ForwarderError.MethodNotAllowed => (StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", "The request method cannot be forwarded to the function."),
            ForwarderError.RequestHeaderInvalid => (StatusCodes.Status400BadRequest, "Bad Request", "A request header value holds a control character."),
            ForwarderError.RequestBodyTooLarge => (StatusCodes.Status413PayloadTooLarge, "Content Too Large", "The request body is larger than the function accepts."),
            ForwarderError.RequestBody => (StatusCodes.Status400BadRequest, "Bad Request", "The request body could not be read."),
            ForwarderError.FunctionTimeout => (StatusCodes.Status504GatewayTimeout, "Gateway Timeout", "The function did not answer in time."),
            _ => (StatusCodes.Status502BadGateway, "Bad Gateway", "The function could not be reached."),
        };

        context.Response.Clear();
        context.Response.StatusCode = status;
        if (error == ForwarderError.MethodNotAllowed)
        {
            // RFC 9110 15.5.6: a 405 lists what is allowed. Any other method is forwarded; these are the usual ones.
            context.Response.Headers.Allow = AllowedMethods;
        }

        return WriteProblemAsync(context, status, title, detail);
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
