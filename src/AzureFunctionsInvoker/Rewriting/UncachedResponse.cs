using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// Keeps a response out of ASP.NET Core output caching (<c>CacheOutput()</c> on a mount): a Durable link's answer or
/// one that hands out links (their tokens are per caller and expire, and the instance's state changes), and an event
/// stream. Output caching decides to store a response once it has ended, so marking it any time before works; an app
/// without output caching has no <see cref="IOutputCacheFeature"/> and pays a feature lookup. The type lives in the
/// shared framework, so nothing is added to the app.
/// </summary>
internal static class UncachedResponse
{
    /// <summary>Stops output caching from storing the response of <paramref name="context"/>, if it would.</summary>
    public static void Mark(HttpContext context)
    {
        if (context.Features.Get<IOutputCacheFeature>() is { } outputCache)
        {
            outputCache.Context.AllowCacheStorage = false;
        }
    }
}
