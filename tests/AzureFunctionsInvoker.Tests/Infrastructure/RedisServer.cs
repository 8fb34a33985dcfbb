using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> of the test's own on 127.0.0.1, in memory only (no snapshot, no append-only file), on a
/// port found free by binding 127.0.0.1:0 first (Redis cannot be handed port 0). Starting fails the test, never skips
/// it, when the server is missing or does not come up: CI installs it (<c>.ci/run</c>). Disposing stops it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The connection string StackExchange.Redis (and <c>ConnectionStrings:Redis</c>) takes.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<RedisServer> StartAsync()
    {
        // Another process may take the port between its release here and Redis binding it: then try another.
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreePort();
            Process process;
            try
            {
                process = Process.Start(new ProcessStartInfo("redis-server")
                {
                    ArgumentList = { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--protected-mode", "yes" },
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                })!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("redis-server is not installed: apt-get install -y redis-server (.ci/run does).", e);
            }

            process.BeginErrorReadLine();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var output = new List<string>();
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.Add(line);
                if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
                {
                    var server = new RedisServer(process, port);
                    _ = DrainAsync(process.StandardOutput);
                    return server;
                }
            }

            await process.WaitForExitAsync(timeout.Token);
            last = new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {port}: {string.Join(Environment.NewLine, output)}");
            process.Dispose();
        }

        throw last!;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }
}
