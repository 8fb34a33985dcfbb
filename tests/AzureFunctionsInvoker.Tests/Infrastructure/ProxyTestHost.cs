using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A running proxy app and the stand-ins behind it, as <see cref="ProxyHostBuilder"/> built them: what a test sends
/// through (<see cref="Caller"/>, <see cref="Port"/>), observes (<see cref="Function"/> or <see cref="Regions"/>,
/// <see cref="Logs"/>, <see cref="Services"/>), moves (<see cref="Clock"/>) and reloads (<see cref="Reload(string, string?)"/>).
/// Disposing it stops everything, then asserts that no watched key was ever logged.
/// </summary>
public sealed class ProxyTestHost : IAsyncDisposable
{
    /// <summary>Where <see cref="ProxyHostBuilder.MountFunction"/> mounts the function.</summary>
    public const string FunctionPath = "/mytest";

    /// <summary>Where <see cref="ProxyHostBuilder.MountBackends"/> mounts the function with backends.</summary>
    public const string BackendsPath = "/hello";

    private readonly List<string> _watched = [];
    private StandInFunction? _function;
    private WebApplication? _app;
    private string? _proxiesDirectory;

    internal ProxyTestHost(CapturingLoggerProvider logs)
    {
        Logs = logs;
    }

    /// <summary>The stand-in Function App (every host without <see cref="ProxyHostBuilder.WithRegions"/>).</summary>
    public StandInFunction Function => _function ?? throw new InvalidOperationException("This host has regions, not a stand-in function.");

    /// <summary>The stand-in regions, A, B, C... (<see cref="ProxyHostBuilder.WithRegions"/>); none otherwise.</summary>
    public StandInRegion[] Regions { get; private set; } = [];

    /// <summary>The options <see cref="ProxyHostBuilder.MountFunction"/> mounted.</summary>
    public AzureFunctionProxyOptions Options
    {
        get => field ?? throw new InvalidOperationException("This host mounts no function with fixed options.");
        internal set;
    }

    /// <summary>The app's clock (<see cref="ProxyHostBuilder.WithClock"/>).</summary>
    public ObservableClock Clock
    {
        get => field ?? throw new InvalidOperationException("This host runs on the real clock.");
        internal set;
    }

    public WebApplication App
    {
        get => _app ?? throw new InvalidOperationException("The app is not built yet.");
        internal set => _app = value;
    }

    /// <summary>The proxy app's services, e.g. its <c>IMeterFactory</c>.</summary>
    public IServiceProvider Services => App.Services;

    public CapturingLoggerProvider Logs { get; }

    /// <summary>The configuration the app reads last; the test changes it through <see cref="Reload(string, string?)"/> and its overloads.</summary>
    internal ReloadableConfiguration Configuration { get; } = new();

    /// <summary>The proxy app's port.</summary>
    public int Port { get; private set; }

    /// <summary>The <c>proxies.json</c> <see cref="ProxyHostBuilder.ServingProxiesFile"/> serves.</summary>
    public string ProxiesFilePath => Path.Combine(_proxiesDirectory ?? throw new InvalidOperationException("This host serves no proxies.json."), "proxies.json");

    /// <summary>A caller that sends what it is given: no cookies, redirects or proxy of its own.</summary>
    public HttpClient Caller { get; private set; } = null!;

    /// <summary>Sets <paramref name="key"/> (a full path, e.g. <c>Functions:Orders:FunctionName</c>) and reloads, as an edited appsettings.json would.</summary>
    public void Reload(string key, string? value) => Configuration.Edit(key, value);

    /// <summary>Replaces the whole configuration with <paramref name="data"/> and reloads: keys it lacks are gone.</summary>
    public void Reload(IReadOnlyDictionary<string, string?> data) => Configuration.Replace(data);

    /// <summary>Replaces the whole configuration with <paramref name="json"/>, read as an appsettings.json holding it, and reloads.</summary>
    public void ReloadJson(object json) => Configuration.Replace(ReloadableConfiguration.FromJson(json));

    /// <summary>Replaces <see cref="ProxiesFilePath"/> with <paramref name="proxiesJson"/> in one step (written aside, then moved over it), as an editor's save does.</summary>
    public async Task WriteProxiesFileAsync(string proxiesJson)
    {
        var aside = Path.Combine(_proxiesDirectory!, Guid.NewGuid().ToString("N") + ".tmp");
        await File.WriteAllTextAsync(aside, proxiesJson);
        File.Move(aside, ProxiesFilePath, overwrite: true);
    }

    /// <summary>Sends <paramref name="pathAndQuery"/> exactly as written, with no client-side normalisation.</summary>
    public Task<HttpResponseMessage> SendRawPathAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null) =>
        Caller.SendAsync(new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{Port}{pathAndQuery}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Content = content,
        });

    /// <summary>
    /// A cold first exchange (JIT, first connection) may outlast a short timeout; tests that time what follows
    /// send <paramref name="path"/> until it succeeds first.
    /// </summary>
    public async Task WarmUpAsync(string path)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var response = await Caller.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }

        Assert.Fail("The proxy never answered the warm-up request.");
    }

    /// <summary>A GET of <see cref="BackendsPath"/>.</summary>
    public Task<HttpResponseMessage> GetAsync() => Caller.GetAsync(new Uri(BackendsPath, UriKind.Relative));

    /// <summary>A POST of <paramref name="body"/> to <see cref="BackendsPath"/>.</summary>
    public Task<HttpResponseMessage> PostAsync(byte[] body) => Caller.PostAsync(new Uri(BackendsPath, UriKind.Relative), new ByteArrayContent(body));

    /// <summary>Sends <paramref name="requests"/> GETs of <see cref="BackendsPath"/> one after the other: the region that answered each.</summary>
    public async Task<List<string>> AnsweredByAsync(int requests)
    {
        var answeredBy = new List<string>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await GetAsync().WaitAsync(TimeSpan.FromSeconds(30));
            answeredBy.Add(StandInRegion.AnsweredBy(response));
        }

        return answeredBy;
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeStartedAsync();
        foreach (var secret in _watched)
        {
            Logs.AssertNeverLogged(secret);
        }
    }

    /// <summary>Checks every line logged from now on for <paramref name="secret"/>, and every line kept when disposed.</summary>
    internal void Watch(string? secret)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            Logs.Watch(secret);
            _watched.Add(secret);
        }
    }

    internal async Task StartStandInsAsync(int regions, X509Certificate2? certificate)
    {
        if (regions == 0)
        {
            _function = await StandInFunction.StartAsync(certificate);
            Watch(_function.Key);
            Watch(_function.SystemKey);
            return;
        }

        Regions = new StandInRegion[regions];
        for (var i = 0; i < regions; i++)
        {
            Regions[i] = await StandInRegion.StartAsync(((char)('A' + i)).ToString());
            Watch(Regions[i].Key);
        }
    }

    /// <summary>Writes <paramref name="proxiesJson"/> as the <c>proxies.json</c> of a new directory, deleted with the host: its full path.</summary>
    internal string CreateProxiesFile(string proxiesJson)
    {
        _proxiesDirectory = Directory.CreateTempSubdirectory("proxies-").FullName;
        File.WriteAllText(ProxiesFilePath, proxiesJson);
        return ProxiesFilePath;
    }

    internal void Started()
    {
        Port = LoopbackApp.Port(App);
        Caller = LoopbackApp.Caller(Port);
    }

    /// <summary>Stops and disposes what has started, in the reverse order: the caller, the app, the stand-ins.</summary>
    internal async Task DisposeStartedAsync()
    {
        Caller?.Dispose();
        if (_app is not null)
        {
            if (Port != 0)
            {
                await _app.StopAsync();
            }

            await _app.DisposeAsync();
        }

        if (_function is not null)
        {
            await _function.DisposeAsync();
        }

        foreach (var region in Regions.Where(region => region is not null))
        {
            await region.DisposeAsync();
        }

        if (_proxiesDirectory is not null)
        {
            Directory.Delete(_proxiesDirectory, recursive: true);
        }
    }
}
