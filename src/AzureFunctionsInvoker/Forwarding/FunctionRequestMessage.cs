using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The forwarded request, carrying what the connection handler needs from its mount: the connection settings
/// that pick its pool, and its <see cref="StepTimeout"/> for the connect step. Carried as properties rather than
/// in <see cref="HttpRequestMessage.Options"/>, which would cost every forward a dictionary.
/// </summary>
internal sealed class FunctionRequestMessage : HttpRequestMessage
{
    public FunctionRequestMessage(HttpMethod method, Uri target, ConnectionSettings connection, StepTimeout timeout)
        : base(method, target)
    {
        Connection = connection;
        Timeout = timeout;
    }

    /// <summary>The mount's connection settings.</summary>
    public ConnectionSettings Connection { get; }

    /// <summary>The exchange's timeout, restarted when a new connection comes up for it.</summary>
    public StepTimeout Timeout { get; }
}
