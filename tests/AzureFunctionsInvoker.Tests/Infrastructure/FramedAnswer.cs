using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>A stand-in function's answer of a whole body with its <c>Content-Length</c>, as a function returning a buffered result sends it.</summary>
public static class FramedAnswer
{
    public static Func<HttpContext, Task> Of(byte[] body, string contentType = "application/json", int status = StatusCodes.Status200OK, string? contentEncoding = null) =>
        context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            if (contentEncoding is not null)
            {
                context.Response.Headers.ContentEncoding = contentEncoding;
            }

            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        };
}
