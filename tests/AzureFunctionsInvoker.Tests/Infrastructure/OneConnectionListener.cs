using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A port on 127.0.0.1 that takes one connection and then no more: <see cref="AcceptAsync"/> accepts the first, then
/// takes its listener's only queue slot (a backlog of 0) with a connection nobody accepts, so every later connect hangs
/// until its own timeout, as at <see cref="UnansweredListener"/>. The accepted connection is answered by hand.
/// </summary>
public sealed class OneConnectionListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _filler = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private Socket? _accepted;

    public OneConnectionListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Accepts the first connection and reads its request head; from then on, connects here hang.</summary>
    public async Task<string> AcceptAsync()
    {
        _accepted = await _listener.AcceptAsync();
        await _filler.ConnectAsync(_listener.LocalEndPoint!);
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await _accepted.ReceiveAsync(buffer);
            if (read == 0)
            {
                break;
            }

            head.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return head.ToString();
    }

    /// <summary>Answers the accepted connection's request with <paramref name="response"/> (CRLF line ends).</summary>
    public async Task AnswerAsync(string response) =>
        await _accepted!.SendAsync(Encoding.Latin1.GetBytes(response));

    public void Dispose()
    {
        _accepted?.Dispose();
        _filler.Dispose();
        _listener.Dispose();
    }
}
