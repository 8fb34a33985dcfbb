using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Registered by <c>AddFunctionsProxies</c>: where its options come from, for messages that name the key to fix, and
/// how the file and the endpoints are made from the app's services.
/// </summary>
internal sealed class FunctionsProxiesRegistration(string? sectionPath)
{
    /// <summary>The configuration path of the options (<c>FunctionsProxies</c>), or <see langword="null"/> when set in code.</summary>
    public string? SectionPath { get; } = sectionPath;

    /// <summary>The file of the app's options, validated.</summary>
    /// <exception cref="InvalidOperationException">An option is invalid, or <c>LocalFunctionApp</c> names no registered function.</exception>
    public static ProxiesFile CreateFile(IServiceProvider services)
    {
        var registration = services.GetRequiredService<FunctionsProxiesRegistration>();
        var options = services.GetRequiredService<IOptions<FunctionsProxiesOptions>>().Value;
        registration.Validate(options);
        LocalFunctionApp? local = null;
        if (!string.IsNullOrEmpty(options.LocalFunctionApp))
        {
            NamedProxy.Source source;
            try
            {
                source = services.GetRequiredService<FunctionRegistry>().Get(options.LocalFunctionApp);
            }
            catch (InvalidOperationException e) when (e.GetType() == typeof(InvalidOperationException))
            {
                throw new InvalidOperationException(
                    $"{registration.PathOf(nameof(options.LocalFunctionApp))} names '{options.LocalFunctionApp}', which is no function registered with AddAzureFunctionProxy.", e);
            }

            local = new LocalFunctionApp(source, services.GetRequiredService<CircuitRegistry>());
        }

        return new ProxiesFile(
            services.GetRequiredService<IHostEnvironment>().ContentRootPath,
            services.GetRequiredService<IConfiguration>(),
            options,
            local,
            services.GetRequiredService<LiveConnectionSettings>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<ProxiesFile>());
    }

    /// <summary>The endpoints of the app's file, which is read now.</summary>
    public static ProxyEndpointDataSource CreateEndpoints(IServiceProvider services)
    {
        var file = services.GetRequiredService<ProxiesFile>();
        var handlers = services.GetRequiredService<IHttpMessageHandlerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        var metrics = services.GetRequiredService<ProxyMetrics>();
        var logger = services.GetRequiredService<ILogger<FunctionForwarder>>();
        var drain = services.GetService<EventStreamDrain>();
        var remote = new PoolForwarder(new FunctionForwarder(handlers, ProxiesFile.ClientName, time, logger), new ResponseCopier(logger, drain), metrics, logger);
        var options = services.GetRequiredService<IOptions<FunctionsProxiesOptions>>().Value;
        PoolForwarder? local = null;
        if (!string.IsNullOrEmpty(options.LocalFunctionApp))
        {
            var clientName = services.GetRequiredService<FunctionRegistry>().Get(options.LocalFunctionApp).ClientName;
            local = new PoolForwarder(new FunctionForwarder(handlers, clientName, time, logger), new ResponseCopier(logger, drain), metrics, logger);
        }

        return new ProxyEndpointDataSource(file, new ProxyInvoker(remote, local, services.GetRequiredService<RequestBodyBuffer>(), services.GetRequiredService<ILogger<ProxyInvoker>>()));
    }

    private void Validate(FunctionsProxiesOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.File))
        {
            failures.Add($"{PathOf(nameof(options.File))}: File must name the proxies.json to serve, relative to the content root.");
        }

        if (options.Timeout < 1)
        {
            failures.Add($"{PathOf(nameof(options.Timeout))}: Timeout must be at least 1 (milliseconds); it is {options.Timeout}.");
        }

        if (options.Keepalive < 1)
        {
            failures.Add($"{PathOf(nameof(options.Keepalive))}: Keepalive must be at least 1 (milliseconds); it is {options.Keepalive}.");
        }

        if (options.MaxRequestBodySize < 0)
        {
            failures.Add($"{PathOf(nameof(options.MaxRequestBodySize))}: MaxRequestBodySize must be at least 0 (bytes), or unset for no limit.");
        }

        // The transport settings, in the words of a function's own (AzureFunctionProxyOptionsValidator).
        if (!Enum.IsDefined(options.RequestBodyFraming))
        {
            failures.Add($"{PathOf(nameof(options.RequestBodyFraming))}: RequestBodyFraming must be ContentLength or AsSent.");
        }

        if (!AzureFunctionProxyOptions.IsHttpVersion(options.HttpVersion))
        {
            failures.Add($"{PathOf(nameof(options.HttpVersion))}: HttpVersion must be 1.1 or 2.");
        }

        if (options.MaxConnectionsPerBackend < 1)
        {
            failures.Add($"{PathOf(nameof(options.MaxConnectionsPerBackend))}: MaxConnectionsPerBackend must be 1 connection or more, or unset for no limit.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(FunctionsProxiesOptions), failures);
        }
    }

    private string PathOf(string key) => SectionPath is null ? $"FunctionsProxies option {key}" : $"{SectionPath}:{key}";
}
