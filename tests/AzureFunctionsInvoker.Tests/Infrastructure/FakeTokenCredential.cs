using System.Collections.Concurrent;
using Azure.Core;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Microsoft Entra ID on the test's clock: each request gets a new token, <c>token-1</c>, <c>token-2</c>..., valid
/// for <paramref name="lifetime"/>. <see cref="Hold"/> keeps requests waiting until the test completes it, and
/// <see cref="FailNext"/> makes the next request fail, as an identity endpoint that is down does.
/// </summary>
public sealed class FakeTokenCredential(TimeProvider time, TimeSpan lifetime) : TokenCredential
{
    private int _issued;
    private int _failNext;

    /// <summary>The scopes of each request, in arrival order.</summary>
    public ConcurrentQueue<string[]> Requests { get; } = new();

    /// <summary>Completed when a request arrives.</summary>
    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests wait for this before answering; completed from the start unless the test replaces it.</summary>
    public TaskCompletionSource Hold { get; set; } = Completed();

    public void FailNext() => Volatile.Write(ref _failNext, 1);

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Requests.Enqueue(requestContext.Scopes);
        Arrived.TrySetResult();
        await Hold.Task.WaitAsync(cancellationToken);
        if (Interlocked.Exchange(ref _failNext, 0) == 1)
        {
            throw new InvalidOperationException("The identity endpoint is down.");
        }

        return new AccessToken($"token-{Interlocked.Increment(ref _issued)}", time.GetUtcNow() + lifetime);
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The proxy asks for tokens asynchronously.");

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
