using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// How every integration test builds its host, in one place: what stands in for Azure (one <see cref="StandInFunction"/>
/// by default, or <see cref="WithRegions"/>), what the proxy app registers and mounts, and how it runs. Each host runs on
/// Kestrel on 127.0.0.1 with a port the OS picked, logs everything at Trace into <see cref="ProxyTestHost.Logs"/>, and
/// reads a <see cref="ReloadableConfiguration"/> last, which <see cref="ProxyTestHost.Reload(string, string?)"/> and its
/// overloads change. Disposing the host asserts that no stand-in's key, nor the mounted options' key, was ever logged:
/// every test on a host is also a key-leak test.
/// <code>
/// await using var host = await new ProxyHostBuilder().MountFunction("echo", o =&gt; o.Timeout = 1000).StartAsync();
/// await using var host = await new ProxyHostBuilder().WithRegions(2).WithClock().MountBackends(settings).StartAsync();
/// </code>
/// </summary>
public sealed class ProxyHostBuilder
{
    /// <summary>The configuration path of an app mount's settings: <c>Apps:Shop</c>, not under <c>AzureFunctions</c>, which the sample's appsettings.json in the tests' folder fills.</summary>
    public const string AppMountRoot = "Apps";

    /// <summary>The proxy name of the app mount <see cref="AddAppMount"/> and <see cref="MountAppMountBackends"/> register.</summary>
    public const string AppMountName = "Shop";

    /// <summary>The proxy name of the function <see cref="MountBackends"/> registers, at <c>/hello</c>.</summary>
    public const string BackendsName = "Hello";

    /// <summary>The proxy name of the function <see cref="ServingProxiesFile"/> registers as <c>LocalFunctionApp</c>.</summary>
    public const string LocalFunctionAppName = "Local";

    private readonly List<Action<WebApplicationBuilder, ProxyTestHost>> _registrations = [];
    private readonly List<Action<WebApplicationBuilder>> _services = [];
    private readonly List<Action<WebApplication>> _pipeline = [];
    private readonly List<Action<WebApplication, ProxyTestHost>> _mounts = [];
    private X509Certificate2? _certificate;
    private int _regions;
    private bool _clock;
    private bool _keepLogs = true;
    private HttpProtocols _protocols = HttpProtocols.Http1;

    // What stands in for Azure.

    /// <summary>Serves the stand-in function over TLS with <paramref name="certificate"/>.</summary>
    public ProxyHostBuilder WithStandInCertificate(X509Certificate2? certificate)
    {
        _certificate = certificate;
        return this;
    }

    /// <summary>Starts <paramref name="count"/> <see cref="StandInRegion"/>s, named A, B, C..., instead of a stand-in function.</summary>
    public ProxyHostBuilder WithRegions(int count)
    {
        _regions = count;
        return this;
    }

    // How the proxy app runs.

    /// <summary>Gives the app an <see cref="ObservableClock"/> as its <see cref="TimeProvider"/>: <see cref="ProxyTestHost.Clock"/>.</summary>
    public ProxyHostBuilder WithClock()
    {
        _clock = true;
        return this;
    }

    /// <summary>What the proxy app speaks: <see cref="HttpProtocols.Http2"/> for plain-text HTTP/2 with prior knowledge, as gRPC-style callers speak it; <see cref="HttpProtocols.Http1AndHttp2"/> for callers of <see cref="RawHttp2"/>.</summary>
    public ProxyHostBuilder WithProtocols(HttpProtocols protocols)
    {
        _protocols = protocols;
        return this;
    }

    /// <summary>Keeps no log line, only checks each for the keys as it is logged: for long runs.</summary>
    public ProxyHostBuilder KeepingNoLogs()
    {
        _keepLogs = false;
        return this;
    }

    /// <summary>Adds the test's own services, after the proxy's registrations.</summary>
    public ProxyHostBuilder ConfigureServices(Action<WebApplicationBuilder>? configure)
    {
        if (configure is not null)
        {
            _services.Add(configure);
        }

        return this;
    }

    /// <summary>Adds the test's own middleware or endpoints (or its own mounts), before the builder's mounts.</summary>
    public ProxyHostBuilder ConfigurePipeline(Action<WebApplication>? configure)
    {
        if (configure is not null)
        {
            _pipeline.Add(configure);
        }

        return this;
    }

    // What the proxy app registers and mounts.

    /// <summary>
    /// Mounts the stand-in's function <paramref name="functionName"/> at <c>/mytest</c> with <c>UseAzureFunctionProxy</c> and fixed
    /// options (the stand-in's port and key, then <paramref name="configure"/>: <see cref="ProxyTestHost.Options"/>); the app
    /// answers every other path itself, with <c>pipeline</c>.
    /// </summary>
    public ProxyHostBuilder MountFunction(string functionName, Action<AzureFunctionProxyOptions>? configure = null)
    {
        _registrations.Add((builder, host) =>
        {
            host.Options = new AzureFunctionProxyOptions
            {
                AppName = "127.0.0.1",
                HostDomain = string.Empty,
                Port = host.Function.Port,
                Https = _certificate is not null,
                FunctionName = functionName,
                ApiKey = host.Function.Key,
            };
            configure?.Invoke(host.Options);
            host.Watch(host.Options.ApiKey);
            builder.Services.AddAzureFunctionProxy();
        });
        _mounts.Add((app, host) =>
        {
            app.UseAzureFunctionProxy(ProxyTestHost.FunctionPath, host.Options);
            app.Run(context => context.Response.WriteAsync("pipeline"));
        });
        return this;
    }

    /// <summary>
    /// Registers each of <paramref name="functions"/>' proxy names from configuration under <c>Functions:{name}</c>, pointing at
    /// the stand-in's function it names, with the stand-in's key and the proxy name as <c>ClientId</c>. The test mounts them
    /// (<see cref="ConfigurePipeline"/>).
    /// </summary>
    public ProxyHostBuilder AddNamedFunctions(IReadOnlyDictionary<string, string> functions)
    {
        _registrations.Add((builder, host) =>
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, functionName) in functions)
            {
                data[$"Functions:{name}:AppName"] = "127.0.0.1";
                data[$"Functions:{name}:HostDomain"] = string.Empty;
                data[$"Functions:{name}:Https"] = "false";
                data[$"Functions:{name}:Port"] = host.Function.Port.ToString(CultureInfo.InvariantCulture);
                data[$"Functions:{name}:FunctionName"] = functionName;
                data[$"Functions:{name}:ApiKey"] = host.Function.Key;
                data[$"Functions:{name}:ClientId"] = name;
            }

            host.Configuration.Edit(data);
            foreach (var name in functions.Keys)
            {
                builder.Services.AddAzureFunctionProxy(name, builder.Configuration.GetSection($"Functions:{name}"));
            }
        });
        return this;
    }

    /// <summary>
    /// Loads <paramref name="configuration"/> (the whole configuration, as JSON would hold it, given the stand-in) and registers
    /// <see cref="AppMountName"/> from <c>Apps:Shop</c>, with <paramref name="register"/> when given. The test mounts it
    /// (<see cref="ConfigurePipeline"/>); <see cref="ProxyTestHost.ReloadJson"/> replaces the configuration.
    /// </summary>
    public ProxyHostBuilder AddAppMount(Func<StandInFunction, object> configuration, Action<WebApplicationBuilder, IConfigurationSection>? register = null)
    {
        _registrations.Add((builder, host) =>
        {
            host.Configuration.Edit(ReloadableConfiguration.FromJson(configuration(host.Function)));
            var section = builder.Configuration.GetSection($"{AppMountRoot}:{AppMountName}");
            if (register is null)
            {
                builder.Services.AddAzureFunctionProxy(AppMountName, section);
            }
            else
            {
                register(builder, section);
            }
        });
        return this;
    }

    /// <summary>
    /// Registers <see cref="BackendsName"/> (the function <c>hello</c>) under <c>Functions:Hello</c> with the regions as its
    /// <c>Backends</c> (<see cref="BackendSettings"/>, <paramref name="settings"/> over them) and mounts it at <c>/hello</c>.
    /// </summary>
    public ProxyHostBuilder MountBackends(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _registrations.Add((builder, host) => Register(builder, host, BackendsName, BackendSettings(host.Regions, settings)));
        _mounts.Add((app, _) => app.UseAzureFunctionProxy(ProxyTestHost.BackendsPath, BackendsName));
        return this;
    }

    /// <summary>
    /// Registers the app mount <see cref="AppMountName"/> under <c>Functions:Shop</c>, exposing <c>orders</c> and <c>invoices</c>,
    /// with the regions as its <c>Backends</c> (<see cref="AppMountBackendSettings"/>), and maps it at <c>/shop/{function}/{**rest}</c>.
    /// </summary>
    public ProxyHostBuilder MountAppMountBackends(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _registrations.Add((builder, host) => Register(builder, host, AppMountName, AppMountBackendSettings(host.Regions, settings)));
        _mounts.Add((app, _) => app.MapAzureFunctionProxy("/shop/{function}/{**rest}", AppMountName));
        return this;
    }

    /// <summary>
    /// Serves <paramref name="proxiesJson"/>, written to a directory of its own (<see cref="ProxyTestHost.ProxiesFilePath"/>,
    /// replaced by <see cref="ProxyTestHost.WriteProxiesFileAsync"/>), with <c>AddFunctionsProxies</c> from
    /// <c>FunctionsProxies</c> and <c>MapFunctionsProxies</c> (with <paramref name="conventions"/>). The configuration holds
    /// <c>StandIn:Host</c> (<c>127.0.0.1:{port}</c>) and <c>StandIn:Key</c> for <c>%SETTING%</c> references, and, unless
    /// <paramref name="localFunctionApp"/> is false, the stand-in's function <c>echo</c> registered as
    /// <see cref="LocalFunctionAppName"/> (the stand-in's key as its <c>ApiKey</c>) as <c>LocalFunctionApp</c>;
    /// <paramref name="settings"/> go over all of it.
    /// </summary>
    public ProxyHostBuilder ServingProxiesFile(
        string proxiesJson, bool localFunctionApp = true, IReadOnlyDictionary<string, string?>? settings = null, Action<IEndpointConventionBuilder>? conventions = null)
    {
        _registrations.Add((builder, host) =>
        {
            var port = host.Function.Port.ToString(CultureInfo.InvariantCulture);
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                ["StandIn:Host"] = $"127.0.0.1:{port}",
                ["StandIn:Key"] = host.Function.Key,
                [$"Functions:{LocalFunctionAppName}:AppName"] = "127.0.0.1",
                [$"Functions:{LocalFunctionAppName}:HostDomain"] = string.Empty,
                [$"Functions:{LocalFunctionAppName}:Https"] = "false",
                [$"Functions:{LocalFunctionAppName}:Port"] = port,
                [$"Functions:{LocalFunctionAppName}:FunctionName"] = "echo",
                [$"Functions:{LocalFunctionAppName}:ApiKey"] = host.Function.Key,
                ["FunctionsProxies:File"] = host.CreateProxiesFile(proxiesJson),
                ["FunctionsProxies:LocalFunctionApp"] = localFunctionApp ? LocalFunctionAppName : null,
            };
            host.Configuration.Edit(data);
            if (settings is not null)
            {
                host.Configuration.Edit(settings);
            }

            builder.Services.AddAzureFunctionProxy(LocalFunctionAppName, builder.Configuration.GetSection($"Functions:{LocalFunctionAppName}"));
            builder.Services.AddFunctionsProxies(builder.Configuration.GetSection("FunctionsProxies"));
        });
        _mounts.Add((app, _) =>
        {
            var proxies = app.MapFunctionsProxies();
            conventions?.Invoke(proxies);
        });
        return this;
    }

    /// <summary>The configuration of <paramref name="regions"/> as the backends of <c>Hello</c>, in that order, with <paramref name="settings"/> under <c>Functions:Hello</c> over it: a replacement for <see cref="ProxyTestHost.Reload(IReadOnlyDictionary{string, string?})"/>.</summary>
    public static Dictionary<string, string?> BackendSettings(IReadOnlyList<StandInRegion> regions, IReadOnlyDictionary<string, string?>? settings = null) =>
        Settings(BackendsName, new() { ["FunctionName"] = "hello" }, regions, settings);

    /// <summary>The configuration of <paramref name="regions"/> as the backends of the app mount <c>Shop</c>, exposing <c>orders</c> and <c>invoices</c>, with <paramref name="settings"/> under <c>Functions:Shop</c> over it.</summary>
    public static Dictionary<string, string?> AppMountBackendSettings(IReadOnlyList<StandInRegion> regions, IReadOnlyDictionary<string, string?>? settings = null) =>
        Settings(AppMountName, new() { ["Functions:orders"] = string.Empty, ["Functions:invoices"] = string.Empty }, regions, settings);

    /// <summary>The settings of an app on the stand-in over HTTP, sending <paramref name="apiKey"/>, exposing <paramref name="functions"/>: the value of <c>Apps:Shop</c>.</summary>
    public static Dictionary<string, object?> AppMountSection(StandInFunction function, string? apiKey, Dictionary<string, object> functions) => new()
    {
        ["AppName"] = "127.0.0.1",
        ["HostDomain"] = string.Empty,
        ["Https"] = false,
        ["Port"] = function.Port,
        ["ApiKey"] = apiKey,
        ["Functions"] = functions,
    };

    /// <summary>The section of <c>Shop</c> in a configuration for <see cref="AddAppMount"/>.</summary>
    public static Dictionary<string, object?> AppMountSectionOf(Dictionary<string, object> configuration) =>
        (Dictionary<string, object?>)((Dictionary<string, object>)configuration[AppMountRoot])[AppMountName];

    /// <summary>Starts the stand-ins, then the proxy app; whatever fails to start (a test of a startup failure) is disposed before the exception leaves.</summary>
    public async Task<ProxyTestHost> StartAsync()
    {
        var host = new ProxyTestHost(new CapturingLoggerProvider(_keepLogs));
        try
        {
            await host.StartStandInsAsync(_regions, _certificate);
            var builder = LoopbackApp.CreateBuilder(host.Logs, _protocols);
            ((IConfigurationBuilder)builder.Configuration).Add(host.Configuration);
            if (_clock)
            {
                host.Clock = new ObservableClock();
                host.Clock.UseIn(builder);
            }

            _registrations.ForEach(register => register(builder, host));
            _services.ForEach(configure => configure(builder));
            var app = builder.Build();
            host.App = app;
            _pipeline.ForEach(configure => configure(app));
            _mounts.ForEach(mount => mount(app, host));
            await app.StartAsync();
            host.Started();
            return host;
        }
        catch
        {
            await host.DisposeStartedAsync();
            throw;
        }
    }

    private static void Register(WebApplicationBuilder builder, ProxyTestHost host, string name, IReadOnlyDictionary<string, string?> data)
    {
        host.Configuration.Edit(data);
        builder.Services.AddAzureFunctionProxy(name, builder.Configuration.GetSection($"Functions:{name}"));
    }

    private static Dictionary<string, string?> Settings(string name, Dictionary<string, string?> own, IReadOnlyList<StandInRegion> regions, IReadOnlyDictionary<string, string?>? settings)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [$"Functions:{name}:AppName"] = "127.0.0.1",
            [$"Functions:{name}:HostDomain"] = string.Empty,
            [$"Functions:{name}:Https"] = "false",
        };
        for (var i = 0; i < regions.Count; i++)
        {
            data[$"Functions:{name}:Backends:{i}:Port"] = regions[i].Port.ToString(CultureInfo.InvariantCulture);
            data[$"Functions:{name}:Backends:{i}:ApiKey"] = regions[i].Key;
            data[$"Functions:{name}:Backends:{i}:ClientId"] = regions[i].Name;
        }

        foreach (var (key, value) in own.Concat(settings ?? new Dictionary<string, string?>()))
        {
            data[$"Functions:{name}:{key}"] = value;
        }

        return data;
    }
}
