using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// The <c>serve</c> command behind Load/run.sh and Load/memory.sh: one proxy listening on 127.0.0.1:<c>--port</c> that
/// forwards <c>/mytest/*</c> to the stand-in function on 127.0.0.1:<c>--function-port</c> with <c>--function-key</c>.
/// Both proxies get this same host, so only the forwarding differs between them.
/// </summary>
internal static class LoadProxyHost
{
    /// <summary>Where both proxies are mounted, as in the README.</summary>
    public const string MountPath = "/mytest";

    /// <summary>Where the heap reading answers, when <c>AZFI_LOAD_DIAGNOSTICS=1</c>.</summary>
    public const string HeapPath = "/diagnostics/heap";

    private const string Usage = "usage: serve library|yarp|cached|proxies --port <proxy port> --function-port <stand-in port> --function-key <key> [--cache none|memory|redis --redis <host:port>] [--filler <proxies>]";

    public static Task RunAsync(string proxy, string[] options)
    {
        Func<WebApplicationBuilder, int, string, WebApplication> build = proxy switch
        {
            "library" => LibraryProxy.Build,
            "yarp" => YarpProxy.Build,
            "cached" => CachedLibraryProxy.Build,
            "proxies" => ProxiesFileProxy.Build,
            _ => throw new ArgumentException(Usage, nameof(proxy)),
        };

        // The slim builder: Kestrel, configuration from the command line and console logging, none of the default
        // builder's extra middleware (host filtering) or logging providers, so the proxy is all that runs per request.
        var builder = WebApplication.CreateSlimBuilder(options);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("AZFI_LOAD_KESTREL_INLINE") == "1")
        {
            // Kestrel's UnsafePreferInlineScheduling, as docs/benchmarks.md ("Tuning") measures it: the app's code runs
            // on the socket threads.
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, Required<int>(builder.Configuration, "port"), listen =>
            {
                // AZFI_LOAD_CALLER_HTTP2=1: callers speak HTTP/2 with prior knowledge (h2c), which Kestrel only takes on
                // an endpoint that speaks nothing else; 100 streams per connection, its default.
                if (Environment.GetEnvironmentVariable("AZFI_LOAD_CALLER_HTTP2") == "1")
                {
                    listen.Protocols = HttpProtocols.Http2;
                }
            });

            // Kestrel's 30 MB default would stop YARP's 1 GiB upload in memory.sh; the library sets its own limit per
            // request from MaxRequestBodySize, so lifting the server's limit changes nothing else.
            kestrel.Limits.MaxRequestBodySize = null;
        });

        var app = build(builder, Required<int>(builder.Configuration, "function-port"), Required<string>(builder.Configuration, "function-key"));
        if (Environment.GetEnvironmentVariable("AZFI_LOAD_DIAGNOSTICS") == "1")
        {
            // Only for idle-streams.sh, so run.sh measures nothing but the forward: outside the mount point, both proxies
            // reach this before their 404.
            app.Use((context, next) => context.Request.Path == HeapPath ? WriteHeapAsync(context) : next(context));
        }

        return app.RunAsync();
    }

    // The managed heap that is still reachable after a full compacting collection, next to what the GC has committed and
    // the process's threads and the bytes it has allocated since it started: what splits a stream's RSS into what the
    // proxy keeps alive, the garbage it made on the way, and what the runtime holds around it. One line: live bytes,
    // committed bytes, threads, allocated bytes.
    private static Task WriteHeapAsync(HttpContext context)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{GC.GetTotalMemory(forceFullCollection: false)} {GC.GetGCMemoryInfo().TotalCommittedBytes} {process.Threads.Count} {GC.GetTotalAllocatedBytes(precise: true)}\n");
        return context.Response.WriteAsync(line);
    }

    private static T Required<T>(IConfiguration configuration, string key) =>
        configuration.GetValue<T>(key) ?? throw new ArgumentException($"--{key} is missing. {Usage}", key);
}
