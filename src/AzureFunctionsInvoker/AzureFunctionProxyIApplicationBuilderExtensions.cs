using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Validation;
using AzureFunctionsInvoker;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Puts an Azure Function behind a path of the app.
/// </summary>
public static class AzureFunctionProxyIApplicationBuilderExtensions
{
    /// <summary>
    /// Forwards every request under <paramref name="path"/> to the Azure Function the options describe and
    /// answers with the function's response; nothing later in the pipeline runs for those requests. Other
    /// requests continue down the pipeline.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <param name="path">The mount point, e.g. <c>/mytest</c>: <c>/mytest/a?b=c</c> is forwarded to <c>{function}/a?b=c</c>.</param>
    /// <param name="options">The function to forward to. Read once: later changes to the instance are not observed.</param>
    /// <returns>The application builder.</returns>
    /// <exception cref="OptionsValidationException">The options are invalid; the message names each invalid option.</exception>
    /// <exception cref="InvalidOperationException">
    /// <c>services.AddAzureFunctionProxy()</c> was not called, or the options list <c>Functions</c>, which only
    /// <c>MapAzureFunctionProxy</c> with <c>{function}</c> serves.
    /// </exception>
    public static IApplicationBuilder UseAzureFunctionProxy(this IApplicationBuilder app, PathString path, AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);

        AzureFunctionProxyMarkerService.EnsureRegistered(app.ApplicationServices, nameof(UseAzureFunctionProxy));
        var named = NamedProxy.Source.Fixed(
            OptionsOrigin.Mounted(options.FunctionName, path.Value ?? "/"),
            options,
            app.ApplicationServices.GetRequiredService<LiveConnectionSettings>(),
            FunctionForwarder.ClientName,
            app.ApplicationServices.GetRequiredService<ILogger<NamedProxy.Source>>(),
            app.ApplicationServices.GetRequiredService<CircuitRegistry>());
        try
        {
            return app.MapFunction(path, named);
        }
        catch
        {
            // Options of an app mount: the source leased their connection settings, and nothing will use them.
            named.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Forwards every request under <paramref name="path"/> to the Azure Function registered as
    /// <paramref name="name"/> with <c>services.AddAzureFunctionProxy(name, ...)</c>, following its options as
    /// configuration reloads them. See <see cref="UseAzureFunctionProxy(IApplicationBuilder, PathString, AzureFunctionProxyOptions)"/>.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <param name="path">The mount point, e.g. <c>/orders</c>.</param>
    /// <param name="name">The name the function was registered with, in any case.</param>
    /// <returns>The application builder.</returns>
    /// <exception cref="OptionsValidationException">The function's options are invalid; the message names each invalid option.</exception>
    /// <exception cref="InvalidOperationException">
    /// No function was registered as <paramref name="name"/>, or its options list <c>Functions</c>, which only
    /// <c>MapAzureFunctionProxy</c> with <c>{function}</c> serves.
    /// </exception>
    public static IApplicationBuilder UseAzureFunctionProxy(this IApplicationBuilder app, PathString path, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(name);

        AzureFunctionProxyMarkerService.EnsureRegistered(app.ApplicationServices, nameof(UseAzureFunctionProxy));
        var named = app.ApplicationServices.GetRequiredService<FunctionRegistry>().Get(name);
        return app.MapFunction(path, named);
    }

    /// <summary>
    /// Forwards every request under <paramref name="path"/> to the Azure Function that
    /// <paramref name="configureOptions"/> describes. See <see cref="UseAzureFunctionProxy(IApplicationBuilder, PathString, AzureFunctionProxyOptions)"/>.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <param name="path">The mount point, e.g. <c>/mytest</c>.</param>
    /// <param name="configureOptions">Sets the options, starting from their defaults.</param>
    /// <returns>The application builder.</returns>
    public static IApplicationBuilder UseAzureFunctionProxy(this IApplicationBuilder app, PathString path, Action<AzureFunctionProxyOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);

        var options = new AzureFunctionProxyOptions();
        configureOptions(options);
        return app.UseAzureFunctionProxy(path, options);
    }

    private static IApplicationBuilder MapFunction(this IApplicationBuilder app, PathString path, NamedProxy.Source named)
    {
        // An app mount picks the function from a route parameter, which only an endpoint has.
        named.EnsureMountedAs(appMount: false);
        var proxy = AzureFunctionProxyMiddleware.Create(app.ApplicationServices, named);
        app.ApplicationServices.GetRequiredService<MountLog>().Add(() => path.Value ?? "/", named);
        return app.Map(path, branch => branch.Run(proxy.InvokeAsync));
    }
}
