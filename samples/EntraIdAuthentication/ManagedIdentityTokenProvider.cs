using Azure.Core;
using AzureFunctionsInvoker;
using Microsoft.Extensions.Options;

namespace EntraIdAuthentication;

/// <summary>
/// Gets the proxy's bearer token for the Function App from Microsoft Entra ID with a <see cref="TokenCredential"/>
/// (a managed identity on Azure), and keeps it until <see cref="EntraIdTokenOptions.RefreshBeforeExpiry"/> before it
/// expires. Every forward asks for the token, so the cached one is returned without a lock or an await; one caller at
/// a time refreshes it, and those arriving meanwhile wait for that refresh instead of asking Entra ID themselves.
/// </summary>
public sealed class ManagedIdentityTokenProvider : IAzureFunctionTokenProvider, IDisposable
{
    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _request;
    private readonly TimeSpan _refreshBeforeExpiry;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile CachedToken? _cached;

    public ManagedIdentityTokenProvider(TokenCredential credential, IOptions<EntraIdTokenOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);

        _credential = credential;
        _request = new TokenRequestContext([options.Value.Scope]);
        _refreshBeforeExpiry = options.Value.RefreshBeforeExpiry;
        _time = time;
    }

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } token)
        {
            return token;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have refreshed it while this one waited.
            if (Fresh() is { } refreshed)
            {
                return refreshed;
            }

            var access = await _credential.GetTokenAsync(_request, cancellationToken).ConfigureAwait(false);
            _cached = new CachedToken(access.Token, access.ExpiresOn - _refreshBeforeExpiry);
            return access.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private string? Fresh() => _cached is { } cached && _time.GetUtcNow() < cached.RefreshAt ? cached.Token : null;

    private sealed record CachedToken(string Token, DateTimeOffset RefreshAt);
}
