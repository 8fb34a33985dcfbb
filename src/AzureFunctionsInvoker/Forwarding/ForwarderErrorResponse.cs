using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What the caller sees for each <see cref="ForwarderError"/> (its row in <see cref="ForwarderErrors"/>): a status with a small problem-details body
/// (through the app's <see cref="IProblemDetailsService"/> when it registered one) or, once the response has
/// started, an aborted connection, so a truncated body never looks complete. Never a stack trace, never a key.
/// </summary>
internal static class ForwarderErrorResponse
{
    private const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    public static Task WriteAsync(HttpContext context, ForwarderError error)
    {
        var entry = ForwarderErrors.Describe(error);
        if (entry.Status == 0)
        {
            return Task.CompletedTask;
        }

        if (context.Response.HasStarted)
        {
            context.Abort();
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
