using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The forwarded request, carrying what the connection handler needs from its mount: the connection settings
/// that pick its pool, and its <see cref="StepTimeout"/> for the connect step. Carried as properties rather than
/// in <see cref="HttpRequestMessage.Options"/>, which would cost every forward a dictionary; only when the app
/// added handlers, which may send a copy of the request (hedging does), does it also ride in the options.
/// </summary>
internal sealed class FunctionRequestMessage : HttpRequestMessage
{
    private static readonly HttpRequestOptionsKey<FunctionRequestMessage> s_original = new("AzureFunctionsInvoker.FunctionRequest");

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

    /// <summary>The forwarded request <paramref name="request"/> is, or was copied from; <see langword="null"/> for others.</summary>
    public static FunctionRequestMessage? Of(HttpRequestMessage request) =>
        request as FunctionRequestMessage ?? (request.Options.TryGetValue(s_original, out var original) ? original : null);

    /// <summary>Lets copies of this request, which keep its options but not its type, find it.</summary>
    public void TravelInOptions() => Options.Set(s_original, this);
}
