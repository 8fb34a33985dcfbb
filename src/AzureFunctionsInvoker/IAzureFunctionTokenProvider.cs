namespace AzureFunctionsInvoker;

/// <summary>
/// Gives the access token the proxy sends as <c>Authorization: Bearer</c> to a Function App behind App Service
/// Authentication (Easy Auth), for example one a managed identity gets from Microsoft Entra ID. Register it with
/// <c>AddAzureFunctionBearerToken&lt;TProvider&gt;()</c> on the builder <c>AddAzureFunctionProxy</c> returns.
/// </summary>
public interface IAzureFunctionTokenProvider
{
    /// <summary>
    /// Gets a token valid for at least the next request. Called once per forwarded request, so implementations
    /// should cache tokens until shortly before they expire (Azure.Identity's credentials do).
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the caller goes away or the request times out.</param>
    /// <returns>The access token, without the <c>Bearer </c> prefix.</returns>
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}
