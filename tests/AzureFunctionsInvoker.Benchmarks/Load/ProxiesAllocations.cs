using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// The <c>proxies-allocations</c> command: bytes allocated per small GET through a <c>MapAzureFunctionProxy</c> endpoint
/// and through a proxies.json proxy to the same in-process function, in one process over loopback sockets, read from
/// <see cref="GC.GetTotalAllocatedBytes(bool)"/> around 10,000 sequential requests each. The client's, Kestrel's and the
/// function's allocations are in both figures alike, so the difference is what the proxy adds to the mount's forward;
/// unlike a request rate, it does not move with the machine's load.
/// </summary>
internal static class ProxiesAllocations
{
    private const int Requests = 10_000;

    public static async Task RunAsync()
    {
        var function = WebApplication.CreateSlimBuilder();
        function.Logging.ClearProviders();
        function.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        await using var functionApp = function.Build();
        functionApp.MapGet("/api/hello/{**rest}", () => "Hello Kong!");
        await functionApp.StartAsync().ConfigureAwait(false);
        var functionPort = new Uri(functionApp.Urls.First()).Port;

        var file = Path.Combine(Path.GetTempPath(), $"proxies-allocations-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(file, ProxiesFileProxy.Write(0, $"127.0.0.1:{functionPort}")).ConfigureAwait(false);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Configuration["StandIn:Key"] = "allocations-key";
            builder.Services.AddAzureFunctionProxy("hello", options =>
            {
                options.AppName = "127.0.0.1";
                options.HostDomain = string.Empty;
                options.Https = false;
                options.Port = functionPort;
                options.FunctionName = "hello";
                options.ApiKey = "allocations-key";
            });
            builder.Services.AddFunctionsProxies(options => options.File = file);
            await using var app = builder.Build();
            app.MapAzureFunctionProxy("/mount/{**rest}", "hello");
            app.MapFunctionsProxies();
            await app.StartAsync().ConfigureAwait(false);
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

            var mount = await PerRequestAsync(client, "/mount/hello?name=Kong").ConfigureAwait(false);
            var proxy = await PerRequestAsync(client, $"{LoadProxyHost.MountPath}/hello?name=Kong").ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"small GET, bytes per request (client, Kestrel twice and the function included): mount {mount:N0}, proxies.json proxy {proxy:N0}, difference {proxy - mount:N0}"));
            await app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }

        await functionApp.StopAsync().ConfigureAwait(false);
    }

    private static async Task<long> PerRequestAsync(HttpClient client, string path)
    {
        for (var i = 0; i < Requests; i++)
        {
            await SendAsync(client, path).ConfigureAwait(false);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < Requests; i++)
        {
            await SendAsync(client, path).ConfigureAwait(false);
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / Requests;
    }

    private static async Task SendAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || await response.Content.ReadAsStringAsync().ConfigureAwait(false) != "Hello Kong!")
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}.");
        }
    }
}
