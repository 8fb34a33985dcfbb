using System.Diagnostics;
using System.Globalization;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>What this process holds: threads, managed heap after a full collection, socket descriptors, and TCP connections by port.</summary>
public sealed record ProcessResources(int Threads, long HeapBytes, int Sockets)
{
    private const string Established = "01";
    private const string CloseWait = "08";

    public static ProcessResources Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return new(process.Threads.Count, GC.GetTotalMemory(forceFullCollection: true), SocketDescriptors());
    }

    public override string ToString() =>
        $"threads {Threads}, managed heap {HeapBytes / 1024 / 1024.0:F1} MiB, socket descriptors {Sockets}";

    /// <summary>Established TCP connections on loopback whose remote end is <paramref name="port"/>: the clients of a server, seen from their side.</summary>
    public static int ConnectionsTo(int port) => TcpConnections().Count(c => c.RemotePort == port && c.State == Established);

    /// <summary>
    /// Connections a client of the server on <paramref name="port"/> closed that the server has not closed yet
    /// (CLOSE_WAIT at the server's end): each still holds a descriptor of the server's process.
    /// </summary>
    public static int LeftOpenAt(int port) => TcpConnections().Count(c => c.LocalPort == port && c.State == CloseWait);

    /// <summary>TCP connections with <paramref name="port"/> at either end, counted by state (kernel numbering: 01 established, 08 close-wait...).</summary>
    public static string StatesAt(int port) => string.Join(", ", TcpConnections()
        .Where(c => c.LocalPort == port || c.RemotePort == port)
        .GroupBy(c => (c.LocalPort == port ? "server" : "client") + ":" + c.State)
        .Select(g => $"{g.Key} x{g.Count()}"));

    private static int SocketDescriptors()
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed between listing and reading.
            }
        }

        return count;
    }

    // /proc/net/tcp and tcp6 (dual-mode sockets reach 127.0.0.1 as ::ffff:127.0.0.1): "sl local_address
    // rem_address st ...", addresses as HEXIP:HEXPORT.
    private static IEnumerable<(int LocalPort, int RemotePort, string State)> TcpConnections() =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(table => File.ReadLines(table).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (Port(f[1]), Port(f[2]), f[3]));

    private static int Port(string address) => int.Parse(address.AsSpan(address.IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
