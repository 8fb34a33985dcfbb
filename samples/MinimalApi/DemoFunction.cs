using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker;

namespace MinimalApi;

/// <summary>
/// A stand-in for the Function Apps of the sample, served on a loopback port of its own so the sample answers with no
/// Azure account: one with the functions <c>hello</c> and <c>orders</c>, and the shop app, under <c>/shop/api</c>, whose
/// every function answers with its own name, so a caller sees which one ran; <c>hello</c> also has a Durable Functions
/// orchestration (<see cref="DemoOrchestrations"/>). Like Azure it refuses calls without the
/// function key, a fresh one per run.
/// </summary>
internal sealed class DemoFunction : IAsyncDisposable
{
    // The shop app's functions live beside the other app's, as if in a Function App of their own.
    private const string ShopRoutePrefix = "/shop/api";

    private readonly WebApplication _app;
    private readonly Uri _address;
    private readonly string _key;

    private DemoFunction(WebApplication app, string key)
    {
        _app = app;
        _key = key;
        _address = new Uri(app.Urls.First());
    }

    /// <summary>
    /// Starts the demo when a function in <paramref name="functions"/> has neither an <c>AppName</c> nor <c>Backends</c>;
    /// otherwise returns <see langword="null"/>. <paramref name="demo"/> may fix its port (<c>Port</c>, default: one
    /// the OS picks) and its function key (<c>FunctionKey</c>, default: a fresh one), so that another instance of the
    /// sample can name it as its Function App (samples/ScaleOut/run.sh).
    /// </summary>
    public static async Task<DemoFunction?> StartIfNeededAsync(IConfiguration functions, IEnumerable<string> names, IConfiguration demo)
    {
        if (names.All(name => !string.IsNullOrEmpty(functions[$"{name}:AppName"]) || functions.GetSection($"{name}:Backends").GetChildren().Any()))
        {
            return null;
        }

        var key = demo["FunctionKey"] is { Length: > 0 } fixedKey ? fixedKey : Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, demo.GetValue("Port", 0)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Map("/api/hello/{**rest}", (HttpRequest request, string? name) =>
            request.Headers["x-functions-key"] == key ? Results.Text($"Hello {name ?? "World"}!") : Results.Unauthorized());
        new DemoOrchestrations().Map(app, key);
        app.Map("/api/orders/{**rest}", (HttpRequest request, string? rest) =>
            request.Headers["x-functions-key"] == key ? Results.Text($"Order {(string.IsNullOrEmpty(rest) ? "list" : rest)}: shipped.") : Results.Unauthorized());
        app.Map($"{ShopRoutePrefix}/{{function}}/{{**rest}}", (HttpRequest request, string function, string? rest) =>
            request.Headers["x-functions-key"] == key ? Results.Text($"The shop's '{function}' function answered{(string.IsNullOrEmpty(rest) ? "" : $" for '{rest}'")}.") : Results.Unauthorized());
        await app.StartAsync();
        return new DemoFunction(app, key);
    }

    /// <summary>Points options that name no Function App (no <c>AppName</c>, no <c>Backends</c>) at the demo.</summary>
    public void Serve(AzureFunctionProxyOptions options)
    {
        if (!string.IsNullOrEmpty(options.AppName) || options.Backends.Count > 0)
        {
            return;
        }

        options.AppName = _address.Host;
        options.HostDomain = string.Empty;
        options.Port = _address.Port;
        options.Https = false;
        options.RoutePrefix = options.Functions.Count > 0 ? ShopRoutePrefix : "/api";
        options.ApiKey = _key;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
