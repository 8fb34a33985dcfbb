using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A stand-in function and a proxy app whose functions are registered by name from configuration, under
/// <c>Functions:{name}</c>, each pointing at one of the stand-in's functions with the right key and its own name as
/// <c>ClientId</c>. The test mounts them; <see cref="Reload"/> changes a setting as a configuration reload does.
/// </summary>
public sealed class NamedProxyEnvironment : IAsyncDisposable
{
    private NamedProxyEnvironment(StandInFunction function, WebApplication app, CapturingLoggerProvider logs)
    {
        Function = function;
        App = app;
        Logs = logs;
        Caller = LoopbackApp.Caller(LoopbackApp.Port(app));
    }

    public StandInFunction Function { get; }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Caller { get; }

    /// <param name="functions">Each name the app registers, with the stand-in function it forwards to.</param>
    /// <param name="mount">Mounts the named functions.</param>
    /// <param name="configureServices">Adds the services the mounts need.</param>
    public static async Task<NamedProxyEnvironment> StartAsync(
        IReadOnlyDictionary<string, string> functions,
        Action<WebApplication> mount,
        Action<WebApplicationBuilder>? configureServices = null)
    {
        var function = await StandInFunction.StartAsync();
        var logs = new CapturingLoggerProvider();
        logs.Watch(function.Key);
        logs.Watch(function.SystemKey);
        var builder = LoopbackApp.CreateBuilder(logs);
        foreach (var (name, functionName) in functions)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"Functions:{name}:AppName"] = "127.0.0.1",
                [$"Functions:{name}:HostDomain"] = string.Empty,
                [$"Functions:{name}:Https"] = "false",
                [$"Functions:{name}:Port"] = function.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [$"Functions:{name}:FunctionName"] = functionName,
                [$"Functions:{name}:ApiKey"] = function.Key,
                [$"Functions:{name}:ClientId"] = name,
            });
            builder.Services.AddAzureFunctionProxy(name, builder.Configuration.GetSection($"Functions:{name}"));
        }

        configureServices?.Invoke(builder);
        var app = builder.Build();
        try
        {
            mount(app);
            await app.StartAsync();
        }
        catch
        {
            // Tests of startup failures expect the exception; the stand-in and the app must not outlive them.
            await app.DisposeAsync();
            await function.DisposeAsync();
            throw;
        }

        return new NamedProxyEnvironment(function, app, logs);
    }

    /// <summary>Sets <c>Functions:{name}:{key}</c> and reloads the configuration, as an edited appsettings.json would.</summary>
    public void Reload(string name, string key, string? value)
    {
        App.Configuration[$"Functions:{name}:{key}"] = value;
        ((IConfigurationRoot)App.Configuration).Reload();
    }

    public async ValueTask DisposeAsync()
    {
        Caller.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Function.DisposeAsync();
        Logs.AssertNeverLogged(Function.Key);
        Logs.AssertNeverLogged(Function.SystemKey);
    }
}
