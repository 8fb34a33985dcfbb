namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// The options that shape a connection to a Function App rather than a request. Mounts with equal settings
/// share one connection pool; each request carries its mount's settings in <see cref="HttpRequestMessage.Options"/>.
/// </summary>
internal readonly record struct ConnectionSettings(TimeSpan IdleTimeout, TimeSpan ConnectTimeout, bool VerifyCertificate)
{
    public static readonly HttpRequestOptionsKey<ConnectionSettings> Key = new("AzureFunctionsInvoker.ConnectionSettings");

    public static ConnectionSettings From(AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(
            TimeSpan.FromMilliseconds(options.Keepalive),
            TimeSpan.FromMilliseconds(options.Timeout),
            options.HttpsVerify);
    }
}
