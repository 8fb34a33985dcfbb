namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// A proxy's <c>responseOverrides</c>: <c>response.statusCode</c>, <c>response.statusReason</c>, <c>response.body</c>
/// and <c>response.headers.&lt;name&gt;</c> (an empty value removes the header).
/// </summary>
internal sealed class ProxyResponseOverrides
{
    public ProxyTemplate? StatusCode { get; init; }

    public ProxyTemplate? StatusReason { get; init; }

    /// <summary>The body's template; <see langword="null"/> keeps the backend's body (or none, for a mock).</summary>
    public ProxyTemplate? Body { get; init; }

    public IReadOnlyList<(string Name, ProxyTemplate Value)> Headers { get; init; } = [];
}
