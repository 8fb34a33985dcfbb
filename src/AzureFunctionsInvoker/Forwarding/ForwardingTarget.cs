using System.Collections.Frozen;
using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What an exchange needs to know of the function it forwards to, fixed once per set of options: its name, the
/// options, the connection settings that pick its pool, the headers to leave out, and its address as telemetry tags it.
/// </summary>
internal sealed class ForwardingTarget
{
    public ForwardingTarget(string name, AzureFunctionProxyOptions options, ConnectionSettings connection, Uri functionUri, CircuitBreaker? circuit = null)
    {
        Name = name;
        FunctionUri = functionUri;
        Circuit = circuit;
        Options = options;
        Connection = connection;
        ServerAddress = functionUri.IdnHost;
        ServerPort = functionUri.Port;
        Scheme = functionUri.Scheme;
        RemovedRequestHeaders = ToSet(options.RemoveRequestHeaders);
        RemovedResponseHeaders = ToSet(options.RemoveResponseHeaders);
    }

    /// <summary>The function's name in the app, as logs name it: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name { get; }

    /// <summary>The function's options, never changed once the target exists.</summary>
    public AzureFunctionProxyOptions Options { get; }

    /// <summary>The connection settings that pick the exchange's pool.</summary>
    public ConnectionSettings Connection { get; }

    /// <summary>The function's own address, with nothing appended.</summary>
    public Uri FunctionUri { get; }

    /// <summary>The backend's circuit, for a function with two or more backends; <see langword="null"/> otherwise.</summary>
    public CircuitBreaker? Circuit { get; }

    /// <summary>The function's host (an IPv6 address without brackets), as telemetry tags it.</summary>
    public string ServerAddress { get; }

    /// <summary>The function's port.</summary>
    public int ServerPort { get; }

    /// <summary><c>https</c> or <c>http</c>.</summary>
    public string Scheme { get; }

    /// <summary>The request headers <c>RemoveRequestHeaders</c> names; <see langword="null"/> when it names none.</summary>
    public FrozenSet<string>? RemovedRequestHeaders { get; }

    /// <summary>The response headers <c>RemoveResponseHeaders</c> names; <see langword="null"/> when it names none.</summary>
    public FrozenSet<string>? RemovedResponseHeaders { get; }

    /// <summary>The address for one request: see <see cref="RequestTarget.Append"/>.</summary>
    public Uri Resolve(string rest, string query) => RequestTarget.Append(FunctionUri, rest, query);

    private static FrozenSet<string>? ToSet(IList<string> names) =>
        names.Count == 0 ? null : names.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
}
