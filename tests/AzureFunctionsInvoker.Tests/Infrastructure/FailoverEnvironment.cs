using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Stand-in regions and a proxy app on a fake clock whose function <c>Hello</c> (under <c>Functions:Hello</c>, mounted at
/// <c>/hello</c>) has them as its <c>Backends</c>, each with its own key and its name as <c>ClientId</c>, all of priority
/// 1 and weight 1 unless the test's settings say otherwise. <see cref="Configure"/> replaces the configuration, as an
/// edited file would. <see cref="StartAppMountAsync"/> makes it an app mount instead: <c>Shop</c> (under
/// <c>Functions:Shop</c>, mounted at <c>/shop/{function}/{**rest}</c>) exposing <c>orders</c> and <c>invoices</c>.
/// </summary>
public sealed class FailoverEnvironment : IAsyncDisposable
{
    private readonly ReloadableConfiguration _configuration;

    private FailoverEnvironment(StandInRegion[] regions, WebApplication app, CapturingLoggerProvider logs, ObservableClock clock, ReloadableConfiguration configuration)
    {
        Regions = regions;
        App = app;
        Logs = logs;
        Clock = clock;
        _configuration = configuration;
        Caller = LoopbackApp.Caller(LoopbackApp.Port(app));
    }

    public StandInRegion[] Regions { get; }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public ObservableClock Clock { get; }

    public HttpClient Caller { get; }

    /// <param name="regions">How many regions to start, named A, B, C...</param>
    /// <param name="settings">Keys under <c>Functions:Hello</c> to set or override, e.g. <c>Backends:0:Priority</c>.</param>
    /// <param name="configureServices">Adds what the test observes with (health checks).</param>
    public static Task<FailoverEnvironment> StartAsync(int regions, IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configureServices = null) =>
        StartAsync(regions, settings, configureServices, appMount: false);

    /// <summary>As <see cref="StartAsync(int, IReadOnlyDictionary{string, string?}?, Action{WebApplicationBuilder}?)"/>, with <c>Shop</c>, an app mount, instead of <c>Hello</c>; <paramref name="settings"/> are under <c>Functions:Shop</c>.</summary>
    public static Task<FailoverEnvironment> StartAppMountAsync(int regions, IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configureServices = null) =>
        StartAsync(regions, settings, configureServices, appMount: true);

    private static async Task<FailoverEnvironment> StartAsync(int regions, IReadOnlyDictionary<string, string?>? settings, Action<WebApplicationBuilder>? configureServices, bool appMount)
    {
        var started = new StandInRegion[regions];
        for (var i = 0; i < regions; i++)
        {
            started[i] = await StandInRegion.StartAsync(((char)('A' + i)).ToString());
        }

        var logs = new CapturingLoggerProvider();
        foreach (var region in started)
        {
            logs.Watch(region.Key);
        }

        var clock = new ObservableClock();
        var configuration = new ReloadableConfiguration();
        var builder = LoopbackApp.CreateBuilder(logs);
        clock.UseIn(builder);
        ((IConfigurationBuilder)builder.Configuration).Add(configuration);
        configuration.Replace(appMount ? AppMountSettings(started, settings) : Settings(started, settings));
        var name = appMount ? "Shop" : "Hello";
        builder.Services.AddAzureFunctionProxy(name, builder.Configuration.GetSection($"Functions:{name}"));
        configureServices?.Invoke(builder);
        var app = builder.Build();
        try
        {
            if (appMount)
            {
                app.MapAzureFunctionProxy("/shop/{function}/{**rest}", name);
            }
            else
            {
                app.UseAzureFunctionProxy("/hello", name);
            }

            await app.StartAsync();
        }
        catch
        {
            // Tests of startup failures expect the exception; nothing may outlive them.
            await app.DisposeAsync();
            foreach (var region in started)
            {
                await region.DisposeAsync();
            }

            throw;
        }

        return new FailoverEnvironment(started, app, logs, clock, configuration);
    }

    /// <summary>
    /// The configuration of <paramref name="regions"/> as the function's backends, in that order, with
    /// <paramref name="settings"/> under <c>Functions:Hello</c> over it.
    /// </summary>
    public static Dictionary<string, string?> Settings(IReadOnlyList<StandInRegion> regions, IReadOnlyDictionary<string, string?>? settings = null) =>
        Settings("Hello", new() { ["FunctionName"] = "hello" }, regions, settings);

    /// <summary>
    /// The configuration of <paramref name="regions"/> as the backends of the app mount <c>Shop</c>, exposing
    /// <c>orders</c> and <c>invoices</c>, with <paramref name="settings"/> under <c>Functions:Shop</c> over it.
    /// </summary>
    public static Dictionary<string, string?> AppMountSettings(IReadOnlyList<StandInRegion> regions, IReadOnlyDictionary<string, string?>? settings = null) =>
        Settings("Shop", new() { ["Functions:orders"] = string.Empty, ["Functions:invoices"] = string.Empty }, regions, settings);

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

    /// <summary>Replaces the whole configuration with <paramref name="data"/> and reloads it.</summary>
    public void Configure(IReadOnlyDictionary<string, string?> data) => _configuration.Replace(data);

    public Task<HttpResponseMessage> GetAsync() => Caller.GetAsync(new Uri("/hello", UriKind.Relative));

    public Task<HttpResponseMessage> PostAsync(byte[] body) => Caller.PostAsync(new Uri("/hello", UriKind.Relative), new ByteArrayContent(body));

    /// <summary>Sends <paramref name="requests"/> GETs one after the other: the region that answered each.</summary>
    public async Task<List<string>> AnsweredByAsync(int requests)
    {
        var answeredBy = new List<string>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await GetAsync().WaitAsync(TimeSpan.FromSeconds(30));
            answeredBy.Add(AnsweredBy(response));
        }

        return answeredBy;
    }

    /// <summary>The region that answered, as its <c>X-Region</c> header says.</summary>
    public static string AnsweredBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Region", out var values) ? values.Single() : "(none)";

    public async ValueTask DisposeAsync()
    {
        Caller.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        foreach (var region in Regions)
        {
            await region.DisposeAsync();
            Logs.AssertNeverLogged(region.Key);
        }
    }
}
