using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Authentication;

/// <summary>
/// Puts the provider's token on each forwarded request as <c>Authorization: Bearer</c>, in place of any the caller
/// sent: the Function App authenticates the proxy, not the caller. A provider that fails makes the forward fail as
/// an unreachable function does (502), with the provider's exception logged.
/// </summary>
internal sealed class BearerTokenHandler(IAzureFunctionTokenProvider provider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string token;
        try
        {
            token = await provider.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new HttpRequestException("No access token could be obtained for the Azure Function.", e);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
