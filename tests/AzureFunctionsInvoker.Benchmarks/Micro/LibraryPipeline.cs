using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>The library at <c>/mytest</c>, as an app mounts it, in front of a function that answers without sockets.</summary>
public static class LibraryPipeline
{
    /// <summary>The services (the caller disposes them) and the pipeline forwarding to <paramref name="function"/>.</summary>
    public static (ServiceProvider Services, RequestDelegate Pipeline) Build(HttpMessageHandler function, Action<AzureFunctionProxyOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Critical));
        services.AddAzureFunctionProxy().ConfigurePrimaryHttpMessageHandler(() => function);
        var provider = services.BuildServiceProvider();
        var library = new ApplicationBuilder(provider);
        library.UseAzureFunctionProxy("/mytest", options =>
        {
            options.AppName = "app";
            options.FunctionName = "hello";
            options.ApiKey = "benchmark-function-key";
            configure?.Invoke(options);
        });
        return (provider, library.Build());
    }
}
