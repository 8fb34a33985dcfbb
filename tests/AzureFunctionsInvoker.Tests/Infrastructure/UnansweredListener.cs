using System.Net;
using System.Net.Sockets;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A port on 127.0.0.1 where connecting hangs: a listener with a backlog of 0 whose only queue slot is taken by a
/// connection nobody accepts, so the kernel drops every further SYN and a connect waits until its own timeout.
/// </summary>
public sealed class UnansweredListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _filler = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public UnansweredListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
        _filler.Connect(_listener.LocalEndPoint!);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Whether a connect really hangs here, checked by one that must not complete within <paramref name="bound"/>.</summary>
    public async Task<bool> ConnectHangsAsync(TimeSpan bound)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await probe.ConnectAsync(_listener.LocalEndPoint!, timeout.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}
