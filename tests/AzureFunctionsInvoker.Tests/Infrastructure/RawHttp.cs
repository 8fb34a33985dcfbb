using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>HTTP/1.1 written by hand, for request shapes no HttpClient will send (absolute-form targets, forged Host headers, smuggling).</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> (CRLF line ends, <c>Connection: close</c> added) and returns the whole response.</summary>
    public static Task<string> SendAsync(int port, string request)
    {
        var head = request.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        return SendExactAsync(port, head.TrimEnd('\r', '\n') + "\r\nConnection: close\r\n\r\n");
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> as they are (Latin-1, no line-end rewriting) and returns everything the server sent
    /// until it closed the connection: the bytes must make it close (<c>Connection: close</c>, or a request it refuses).
    /// </summary>
    public static async Task<string> SendExactAsync(int port, string bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(bytes));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, bound.Token)) > 0)
            {
                received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // A server that refuses a request may reset the connection after answering; keep what arrived.
        }

        return received.ToString();
    }

    /// <summary>The status codes of every response in <paramref name="responses"/>, in order.</summary>
    public static IReadOnlyList<int> Statuses(string responses) =>
        responses.Split("\r\n").Where(l => l.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.AsSpan(9, 3), CultureInfo.InvariantCulture)).ToList();
}
