using AzureFunctionsInvoker.Tests.Infrastructure;
using EntraIdAuthentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Samples;

/// <summary>The token cache of samples/EntraIdAuthentication, against a fake Entra ID on a fake clock.</summary>
public sealed class ManagedIdentityTokenProviderTests
{
    private const string Scope = "api://11111111-2222-3333-4444-555555555555/.default";
    private static readonly TimeSpan s_lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeTokenCredential _credential;
    private readonly ManagedIdentityTokenProvider _provider;

    public ManagedIdentityTokenProviderTests()
    {
        _credential = new FakeTokenCredential(_time, s_lifetime);
        _provider = new ManagedIdentityTokenProvider(_credential, Options.Create(new EntraIdTokenOptions { Scope = Scope }), _time);
    }

    [Fact]
    public async Task A_token_is_reused_until_five_minutes_before_it_expires_then_replaced()
    {
        var first = await _provider.GetTokenAsync(CancellationToken.None);
        _time.Advance(s_lifetime - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var stillFirst = await _provider.GetTokenAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await _provider.GetTokenAsync(CancellationToken.None);

        Assert.Equal(["token-1", "token-1", "token-2"], [first, stillFirst, second]);
        Assert.Equal(2, _credential.Requests.Count);
    }

    [Fact]
    public async Task The_token_is_asked_for_the_configured_scope()
    {
        await _provider.GetTokenAsync(CancellationToken.None);

        Assert.Equal([Scope], Assert.Single(_credential.Requests));
    }

    [Fact]
    public async Task Callers_arriving_during_a_refresh_wait_for_it_instead_of_asking_Entra_ID_themselves()
    {
        _credential.Hold = new(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, 16).Select(_ => _provider.GetTokenAsync(CancellationToken.None).AsTask()).ToList();
        await _credential.Arrived.Task.WaitAsync(s_bound);
        _credential.Hold.SetResult();
        var tokens = await Task.WhenAll(callers).WaitAsync(s_bound);

        Assert.All(tokens, token => Assert.Equal("token-1", token));
        Assert.Single(_credential.Requests);
    }

    [Fact]
    public async Task A_failed_refresh_is_not_cached_and_the_next_caller_tries_again()
    {
        _credential.FailNext();

        await Assert.ThrowsAsync<InvalidOperationException>(() => _provider.GetTokenAsync(CancellationToken.None).AsTask());
        var token = await _provider.GetTokenAsync(CancellationToken.None).AsTask().WaitAsync(s_bound);

        Assert.Equal("token-1", token);
        Assert.Equal(2, _credential.Requests.Count);
    }

    [Fact]
    public async Task A_caller_that_goes_away_during_a_refresh_leaves_it_to_the_next()
    {
        _credential.Hold = new(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gone = new CancellationTokenSource();

        var abandoned = _provider.GetTokenAsync(gone.Token).AsTask();
        await _credential.Arrived.Task.WaitAsync(s_bound);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        _credential.Hold.SetResult();
        var token = await _provider.GetTokenAsync(CancellationToken.None).AsTask().WaitAsync(s_bound);

        Assert.Equal("token-1", token);
    }
}
