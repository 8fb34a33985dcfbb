using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>The stand-in's functions about response headers and statuses.</summary>
public sealed partial class StandInFunction
{
    private static Task CookiesAsync(HttpContext context)
    {
        context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
        context.Response.Headers.Append("Set-Cookie", "b=2; Path=/");
        context.Response.Headers["X-Custom"] = "custom";
        return context.Response.WriteAsync("cookies");
    }

    private static Task StatusAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = "https://elsewhere.example/";
        return Task.CompletedTask;
    }

    // A debug endpoint that copies its request headers into its response under their own names, the key among them.
    private static Task ReflectAsync(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!name.StartsWith(':') && !Microsoft.Net.Http.Headers.HeaderNames.ContentLength.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.TryAdd(name, values);
            }
        }

        context.Response.Headers["X-Reflected-Host"] = context.Request.Host.Value;
        return Task.CompletedTask;
    }
}
