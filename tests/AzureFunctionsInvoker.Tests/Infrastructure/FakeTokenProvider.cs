namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// An <see cref="IAzureFunctionTokenProvider"/> that gives <paramref name="token"/> or, with none, throws as a
/// credential that cannot get one does. Registered as an instance before <c>AddAzureFunctionBearerToken</c>, which
/// then uses it.
/// </summary>
public sealed class FakeTokenProvider(string? token) : IAzureFunctionTokenProvider
{
    public const string FailureMessage = "The fake identity endpoint refused.";

    private int _calls;

    /// <summary>How many times the proxy asked for a token.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return token is null
            ? ValueTask.FromException<string>(new InvalidOperationException(FailureMessage))
            : ValueTask.FromResult(token);
    }
}
