using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>The stand-in's functions about bodies: what arrived (<c>echo</c>), streamed back or out, in lock step with the test.</summary>
public sealed partial class StandInFunction
{
    private static async Task EchoAsync(HttpContext context, string target)
    {
        var (length, sha256) = await HashAsync(context.Request.Body);
        await WriteEchoAsync(context, target, length, sha256);
    }

    private static async Task WriteEchoAsync(HttpContext context, string target, long length, string sha256)
    {
        var echo = new Echo(
            context.Request.Method,
            target,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? string.Empty).ToArray(), StringComparer.OrdinalIgnoreCase),
            length,
            sha256,
            context.Connection.Id);
        context.Response.Headers["X-Echo"] = "yes";
        await context.Response.WriteAsJsonAsync(echo);
    }

    // Sends the request body back as the response body, as it arrives.
    private static async Task MirrorAsync(HttpContext context)
    {
        context.Response.ContentType = context.Request.ContentType;
        await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static async Task DownloadAsync(HttpContext context, long size)
    {
        // Without a Content-Length, Kestrel frames the body as chunked.
        if (!context.Request.Query.ContainsKey("chunked"))
        {
            context.Response.ContentLength = size;
        }

        var buffer = new byte[81920];
        for (long sent = 0; sent < size;)
        {
            var count = (int)Math.Min(buffer.Length, size - sent);
            Pattern.Fill(buffer.AsSpan(0, count), sent);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
            sent += count;
        }
    }

    // As fast as the server takes it: one buffer sent over and over, counted as it goes.
    private async Task FirehoseAsync(HttpContext context, long size)
    {
        context.Response.ContentLength = size;
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < size;)
        {
            var count = (int)Math.Min(buffer.Length, size - sent);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
            sent += count;
            Interlocked.Add(ref _bytesSent, count);
        }
    }

    private async Task LockstepUploadAsync(HttpContext context)
    {
        var buffer = new byte[1];
        var first = await context.Request.Body.ReadAsync(buffer);
        Arrived.TrySetResult();
        long length;
        try
        {
            (length, _) = await HashAsync(context.Request.Body);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The proxy reset the request mid-body (Kestrel reports it as a ConnectionResetException, an IOException).
            Cancelled.TrySetResult();
            throw;
        }

        await context.Response.WriteAsync((first + length).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task LockstepDownloadAsync(HttpContext context)
    {
        if (context.Request.Query.ContainsKey("warm"))
        {
            await context.Response.WriteAsync("warm");
            return;
        }

        await context.Response.Body.WriteAsync(new byte[1024]);
        await context.Response.Body.FlushAsync();
        await WaitUnlessAbortedAsync(Proceed.Task, context);
        await context.Response.Body.WriteAsync(new byte[1024]);
    }

    public static async Task<(long Length, string Sha256)> HashAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return (length, Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>What <c>echo</c> received, and on which of the function's connections.</summary>
    public sealed record Echo(string Method, string Target, Dictionary<string, string[]> Headers, long BodyLength, string BodySha256, string ConnectionId)
    {
        public static async Task<Echo> ReadAsync(HttpResponseMessage response)
        {
            var echo = (await response.Content.ReadFromJsonAsync<Echo>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

            // Header names are case-insensitive, and HTTP/2 sends them in lower case.
            return echo with { Headers = new(echo.Headers, StringComparer.OrdinalIgnoreCase) };
        }
    }
}
