using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary><see cref="UncachedResponse"/>: a marked response is one output caching will not store.</summary>
public sealed class UncachedResponseTests
{
    [Fact]
    public void A_marked_response_is_not_stored_by_output_caching()
    {
        var context = new DefaultHttpContext();
        var outputCache = new OutputCache(new OutputCacheContext { HttpContext = context, AllowCacheStorage = true });
        context.Features.Set<IOutputCacheFeature>(outputCache);

        UncachedResponse.Mark(context);

        Assert.False(outputCache.Context.AllowCacheStorage);
    }

    [Fact]
    public void An_app_without_output_caching_gets_no_feature_from_it()
    {
        var context = new DefaultHttpContext();

        UncachedResponse.Mark(context);

        Assert.Null(context.Features.Get<IOutputCacheFeature>());
    }

    private sealed class OutputCache(OutputCacheContext context) : IOutputCacheFeature
    {
        public OutputCacheContext Context { get; } = context;
    }
}
