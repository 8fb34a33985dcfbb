using System.Globalization;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>
/// A stand-in Function App and a proxy app serving a <c>proxies.json</c> written to a directory of its own. The
/// configuration holds <c>StandIn:Host</c> (<c>127.0.0.1:{port}</c>) and <c>StandIn:Key</c> for <c>%SETTING%</c>
/// references, and the function <c>Local</c> (registered with <c>AddAzureFunctionProxy</c>, the stand-in's key as its
/// <c>ApiKey</c>) as <c>LocalFunctionApp</c>. <see cref="WriteAsync"/> replaces the file as an editor's save does.
/// </summary>
public sealed class ProxiesEnvironment : IAsyncDisposable
{
    private ProxiesEnvironment(StandInFunction function, WebApplication app, CapturingLoggerProvider logs, string directory)
    {
        Function = function;
        App = app;
        Logs = logs;
        Directory = directory;
        Caller = LoopbackApp.Caller(LoopbackApp.Port(app));
    }

    public StandInFunction Function { get; }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Caller { get; }

    public string Directory { get; }

    public string FilePath => Path.Combine(Directory, "proxies.json");

    /// <summary>Starts an app serving <paramref name="proxiesJson"/>.</summary>
    public static async Task<ProxiesEnvironment> StartAsync(
        string proxiesJson,
        Action<IEndpointConventionBuilder>? conventions = null,
        Action<WebApplicationBuilder>? configure = null,
        bool localFunctionApp = true,
        IDictionary<string, string?>? settings = null)
    {
        var function = await StandInFunction.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "proxies-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "proxies.json"), proxiesJson);
        var logs = new CapturingLoggerProvider();
        logs.Watch(function.Key);
        var builder = LoopbackApp.CreateBuilder(logs);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StandIn:Host"] = $"127.0.0.1:{function.Port.ToString(CultureInfo.InvariantCulture)}",
            ["StandIn:Key"] = function.Key,
            ["Functions:Local:AppName"] = "127.0.0.1",
            ["Functions:Local:HostDomain"] = string.Empty,
            ["Functions:Local:Https"] = "false",
            ["Functions:Local:Port"] = function.Port.ToString(CultureInfo.InvariantCulture),
            ["Functions:Local:FunctionName"] = "echo",
            ["Functions:Local:ApiKey"] = function.Key,
            ["FunctionsProxies:File"] = Path.Combine(directory, "proxies.json"),
            ["FunctionsProxies:LocalFunctionApp"] = localFunctionApp ? "Local" : null,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddAzureFunctionProxy("Local", builder.Configuration.GetSection("Functions:Local"));
        builder.Services.AddFunctionsProxies(builder.Configuration.GetSection("FunctionsProxies"));
        configure?.Invoke(builder);
        var app = builder.Build();
        try
        {
            var proxies = app.MapFunctionsProxies();
            conventions?.Invoke(proxies);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            await function.DisposeAsync();
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }

        return new ProxiesEnvironment(function, app, logs, directory);
    }

    /// <summary>Replaces the file with <paramref name="proxiesJson"/> in one step (written aside, then moved over it).</summary>
    public async Task WriteAsync(string proxiesJson)
    {
        var aside = Path.Combine(Directory, Guid.NewGuid().ToString("N") + ".tmp");
        await File.WriteAllTextAsync(aside, proxiesJson);
        File.Move(aside, FilePath, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        Caller.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Function.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
        Logs.AssertNeverLogged(Function.Key);
    }
}
