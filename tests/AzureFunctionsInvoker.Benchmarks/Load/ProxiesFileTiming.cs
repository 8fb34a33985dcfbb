using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// The <c>proxies-timing</c> command: how long a proxies.json of <c>--proxies</c> proxies (1000 by default) takes to load
/// (<c>MapFunctionsProxies</c>: read, validate, compile, log a line per proxy) and to reload (from the edited file being
/// moved into place to the first request a proxy only the edit has answers, the file watcher's delay included), each
/// <c>--repeats</c> times (5), with the median and the worst. Load/proxies.sh prints it beside the request rates.
/// </summary>
internal static class ProxiesFileTiming
{
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var count = int.Parse(builder.Configuration["proxies"] ?? "1000", CultureInfo.InvariantCulture);
        var repeats = int.Parse(builder.Configuration["repeats"] ?? "5", CultureInfo.InvariantCulture);
        var directory = Directory.CreateTempSubdirectory("proxies-timing-");
        var file = Path.Combine(directory.FullName, "proxies.json");
        try
        {
            var loads = new List<double>();
            var reloads = new List<double>();
            for (var repeat = 0; repeat < repeats; repeat++)
            {
                var (load, reload) = await MeasureAsync(args, file, count, repeat).ConfigureAwait(false);
                loads.Add(load);
                reloads.Add(reload);
                Console.Error.WriteLine($"{repeat + 1}/{repeats}: load {load:F0} ms, reload {reload:F0} ms");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count} proxies: load median {Median(loads):F0} ms (worst {loads.Max():F0}), reload median {Median(reloads):F0} ms (worst {reloads.Max():F0})"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<(double Load, double Reload)> MeasureAsync(string[] args, string file, int count, int repeat)
    {
        await File.WriteAllTextAsync(file, ProxiesFileProxy.Write(count, "127.0.0.1:9")).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Configuration["StandIn:Key"] = "timing-key";
        builder.Services.AddFunctionsProxies(options => options.File = file);
        await using var app = builder.Build();

        var load = Stopwatch.StartNew();
        app.MapFunctionsProxies();
        load.Stop();
        await app.StartAsync().ConfigureAwait(false);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // The edit: every proxy's route moves, so the whole table and every endpoint is made again.
        var edited = ProxiesFileProxy.Write(count, "127.0.0.1:9").Replace("/filler", $"/edited{repeat}-", StringComparison.Ordinal)
            .Replace("\"hello\": { \"matchCondition\": { \"route\": \"/mytest/{*rest}\" }, \"backendUri\": \"http://127.0.0.1:9/api/hello/{rest}\", \"requestOverrides\": { \"backend.request.headers.x-functions-key\": \"%StandIn:Key%\" } }",
                "\"hello\": { \"matchCondition\": { \"route\": \"/reloaded\" }, \"responseOverrides\": { \"response.body\": \"reloaded\" } }", StringComparison.Ordinal);
        var aside = file + ".tmp";
        await File.WriteAllTextAsync(aside, edited).ConfigureAwait(false);
        var reload = Stopwatch.StartNew();
        File.Move(aside, file, overwrite: true);
        while (true)
        {
            using var response = await client.GetAsync(new Uri("/reloaded", UriKind.Relative)).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            if (reload.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The edited proxies.json was not applied within 30 s.");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }

        reload.Stop();
        await app.StopAsync().ConfigureAwait(false);
        return (load.Elapsed.TotalMilliseconds, reload.Elapsed.TotalMilliseconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
