using System.Net;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>What a caller holds of a response the proxy may cut: its status and every byte that arrived before the body ended or the connection (or HTTP/2 stream) was cut.</summary>
internal static class CutResponse
{
    /// <summary>GETs <paramref name="path"/> and reads its body until it ends or is cut.</summary>
    public static async Task<(HttpStatusCode Status, string Received)> ReadWhatArrivesAsync(HttpClient caller, string path)
    {
        using var response = await caller.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        var received = new MemoryStream();
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.CopyToAsync(received);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // Cut: what arrived before is what the caller has.
        }

        return (response.StatusCode, Encoding.UTF8.GetString(received.ToArray()));
    }
}
