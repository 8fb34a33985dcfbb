using System.Net;
using System.Net.Sockets;
using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Tests.Connections;

/// <summary>
/// <see cref="BackendConnections"/> as a <see cref="SocketsHttpHandler"/>'s connect callback, on 127.0.0.1. The budget
/// shared by many requests over the proxy: Integration/ConnectionBudgetTests.
/// </summary>
public sealed class BackendConnectionsTests
{
    [Fact]
    public async Task A_connect_that_fails_gives_its_budget_back()
    {
        // A port nothing listens on: each connect is refused at once. With a budget of one, a refused connect that kept
        // its share would leave the next attempt waiting for a connection that never closes.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var connections = new BackendConnections(maxConnections: 1, instruments: null);
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = connections.ConnectAsync }) { Timeout = TimeSpan.FromSeconds(30) };

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/"));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        }
    }

    [Fact]
    public async Task A_connection_closed_twice_gives_its_budget_back_once()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOneResponseAsync(listener);
        var connections = new BackendConnections(maxConnections: 1, instruments: null);
        Stream? connection = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) => connection = await connections.ConnectAsync(context, cancellationToken),
        });

        using (var response = await client.GetAsync($"http://127.0.0.1:{port}/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await served;
        listener.Stop();

        // The handler may close it too: however often it is closed, the budget of one is given back once.
        connection!.Dispose();
        connection.Dispose();
    }

    // A function on a raw socket: one HTTP/1.1 response, then it closes the connection.
    private static async Task ServeOneResponseAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        var request = new byte[4096];
        var read = 0;
        while (!System.Text.Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            read += await socket.ReceiveAsync(request.AsMemory(read));
        }

        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
    }
}
