namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The options that shape a connection to a Function App rather than a request. Mounts with equal settings
/// share one connection pool; each request carries its mount's settings on its <c>FunctionRequestMessage</c>.
/// A class made once per set of options, so a request carries a reference to them rather than a copy of their 24 bytes.
/// <paramref name="MaxConnections"/> is <c>MaxConnectionsPerBackend</c>: each pool keeps its own budget per backend.
/// </summary>
internal sealed record ConnectionSettings(TimeSpan IdleTimeout, TimeSpan ConnectTimeout, bool VerifyCertificate, int? MaxConnections = null)
{
    public static ConnectionSettings From(AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(
            TimeSpan.FromMilliseconds(options.Keepalive),
            TimeSpan.FromMilliseconds(options.Timeout),
            options.HttpsVerify,
            options.MaxConnectionsPerBackend);
    }
}
