using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A "function" on a loopback port that answers every connection with the same bytes, written by hand:
/// for responses no real server would send (hop-by-hop headers, invalid header values, not HTTP at all).
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
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                    {
                        break;
                    }

                    head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                }

                await stream.WriteAsync(_response);
            }
        }
    }
}
