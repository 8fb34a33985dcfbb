using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Retry strategies for the proxy's client, as an app would add them with Microsoft.Extensions.Http.Resilience:
/// <see cref="Safe"/> is the recipe in docs/resilience.md word for word, but with no delay
/// between attempts so the tests run fast; the others are the setups it warns against.
/// </summary>
public static class RetryPolicies
{
    /// <summary>
    /// The recipe: transient failures (408, 429, 5xx, <see cref="HttpRequestException"/>, attempt timeouts) of GET,
    /// HEAD and OPTIONS requests without a body are retried; nothing else is.
    /// </summary>
    public static HttpRetryStrategyOptions Safe(TimeSpan delay)
    {
        var retry = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = delay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldRetryAfterHeader = false, // a 429/503 asking for minutes goes back to the caller instead
        };
        var isTransient = retry.ShouldHandle; // the default: 408, 429, 5xx, HttpRequestException, TimeoutRejectedException
        retry.ShouldHandle = args => CanResend(args.Context.GetRequestMessage()) ? isTransient(args) : PredicateResult.False();
        return retry;
    }

    /// <summary>
    /// Only <see cref="HttpRetryStrategyOptionsExtensions.DisableForUnsafeHttpMethods"/>: POST, PUT, PATCH, DELETE and
    /// CONNECT are never retried, but a GET with a body (which the proxy forwards) still is.
    /// </summary>
    public static HttpRetryStrategyOptions UnsafeMethodsDisabled()
    {
        var retry = Everything();
        retry.DisableForUnsafeHttpMethods();
        return retry;
    }

    /// <summary>The misconfiguration: every transient failure retried, whatever the request.</summary>
    public static HttpRetryStrategyOptions Everything() => new()
    {
        MaxRetryAttempts = 2,
        Delay = TimeSpan.Zero,
        BackoffType = DelayBackoffType.Constant,
        ShouldRetryAfterHeader = false,
    };

    /// <summary>Adds <paramref name="retry"/> to the proxy's client, as the app's own startup code does.</summary>
    public static Action<WebApplicationBuilder> On(HttpRetryStrategyOptions retry) =>
        builder => builder.Services.AddAzureFunctionProxy().AddResilienceHandler("retry", pipeline => pipeline.AddRetry(retry));

    private static bool CanResend(HttpRequestMessage? request) =>
        request is { Content: null }
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options);
}
