using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A "function" on a loopback port that answers every connection with the same bytes, written by hand:
/// for responses no real server would send (hop-by-hop headers, invalid header values, not HTTP at all).
/// It records each request exactly as it came off the wire, to show how the proxy framed it.
/// </summary>
public sealed class RawFunction : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _response;
    private readonly Task _serving;

    public RawFunction(string response)
    {
        _response = Encoding.Latin1.GetBytes(response.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Each request as received: its head and, when it declared one, its body.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving;
        _listener.Dispose();
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (SocketException)
            {
                return; // Stopped.
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                Received.Enqueue(request);
                if (IsComplete(request))
                {
                    await stream.WriteAsync(_response);
                }
            }
        }
    }

    // The head, then the body as its framing says: chunked up to the last chunk, else Content-Length bytes.
    private static async Task<string> ReadRequestAsync(NetworkStream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            while (!IsComplete(received.ToString()))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // The proxy aborted the request: what arrived is what it sent.
        }

        return received.ToString();
    }

    /// <summary>Whether <paramref name="request"/> holds a whole head and all of the body its framing declares.</summary>
    public static bool IsComplete(string request)
    {
        var headEnd = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }

        var head = request[..headEnd].ToUpperInvariant();
        var body = request[(headEnd + 4)..];
        if (head.Contains("\r\nTRANSFER-ENCODING:", StringComparison.Ordinal))
        {
            return body.StartsWith("0\r\n\r\n", StringComparison.Ordinal) || body.Contains("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("CONTENT-LENGTH:", StringComparison.Ordinal));
        return length is null
            || !int.TryParse(length["CONTENT-LENGTH:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var declared)
            || body.Length >= declared;
    }
}
