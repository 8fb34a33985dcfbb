using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A stand-in Function App and a proxy app whose configuration is a JSON file, as an appsettings.json is:
/// <c>Apps:Shop</c> registered as the function <c>Shop</c>, pointed at the stand-in by <see cref="Section"/>. Not under
/// <c>AzureFunctions</c>, which the sample's appsettings.json in the tests' folder fills (and every app there reads).
/// The test mounts it; <see cref="Reload"/> rewrites the file and reloads the configuration, as an edit does.
/// </summary>
public sealed class AppMountEnvironment : IAsyncDisposable
{
    public const string Root = "Apps";

    public const string Name = "Shop";

    private readonly string _file;

    private AppMountEnvironment(StandInFunction function, WebApplication app, CapturingLoggerProvider logs, string file)
    {
        Function = function;
        App = app;
        Logs = logs;
        _file = file;
        Caller = LoopbackApp.Caller(LoopbackApp.Port(app));
    }

    public StandInFunction Function { get; }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Caller { get; }

    /// <summary>The proxy app's port.</summary>
    public int Port => LoopbackApp.Port(App);

    /// <summary>The settings of an app on the stand-in over HTTP, sending <paramref name="apiKey"/>, exposing <paramref name="functions"/>.</summary>
    public static Dictionary<string, object?> Section(StandInFunction function, string? apiKey, Dictionary<string, object> functions) => new()
    {
        ["AppName"] = "127.0.0.1",
        ["HostDomain"] = string.Empty,
        ["Https"] = false,
        ["Port"] = function.Port,
        ["ApiKey"] = apiKey,
        ["Functions"] = functions,
    };

    /// <summary>The section of <c>Shop</c> in a configuration file.</summary>
    public static Dictionary<string, object?> SectionOf(Dictionary<string, object> configuration) =>
        (Dictionary<string, object?>)((Dictionary<string, object>)configuration[Root])[Name];

    /// <param name="configuration">The whole configuration file, from the stand-in (<c>Apps:Shop</c> and anything else).</param>
    /// <param name="mount">Mounts <c>Shop</c>.</param>
    /// <param name="register">Registers <c>Shop</c>, given its section; <c>AddAzureFunctionProxy</c> when null.</param>
    /// <param name="certificate">Serves the stand-in over TLS with it.</param>
    /// <param name="protocols">What the proxy app speaks: <see cref="HttpProtocols.Http1AndHttp2"/> for callers of <see cref="RawHttp2"/>.</param>
    public static async Task<AppMountEnvironment> StartAsync(
        Func<StandInFunction, object> configuration,
        Action<WebApplication> mount,
        Action<WebApplicationBuilder, IConfigurationSection>? register = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null,
        HttpProtocols protocols = HttpProtocols.Http1)
    {
        var function = await StandInFunction.StartAsync(certificate);
        var logs = new CapturingLoggerProvider();
        logs.Watch(function.Key);
        logs.Watch(function.SystemKey);
        var file = Path.Combine(Path.GetTempPath(), $"appmount-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(configuration(function)));
        var builder = LoopbackApp.CreateBuilder(logs, protocols);
        builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: false);
        var section = builder.Configuration.GetSection($"{Root}:{Name}");
        if (register is null)
        {
            builder.Services.AddAzureFunctionProxy(Name, section);
        }
        else
        {
            register(builder, section);
        }

        var app = builder.Build();
        try
        {
            mount(app);
            await app.StartAsync();
        }
        catch
        {
            // Tests of startup failures expect the exception; nothing may outlive them.
            await app.DisposeAsync();
            await function.DisposeAsync();
            File.Delete(file);
            throw;
        }

        return new AppMountEnvironment(function, app, logs, file);
    }

    /// <summary>Rewrites the configuration file and reloads the configuration.</summary>
    public void Reload(object configuration)
    {
        File.WriteAllText(_file, JsonSerializer.Serialize(configuration));
        ((IConfigurationRoot)App.Configuration).Reload();
    }

    public async ValueTask DisposeAsync()
    {
        Caller.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Function.DisposeAsync();
        File.Delete(_file);
        Logs.AssertNeverLogged(Function.Key);
        Logs.AssertNeverLogged(Function.SystemKey);
    }
}
