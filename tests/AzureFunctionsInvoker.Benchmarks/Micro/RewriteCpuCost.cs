using System.Diagnostics;
using System.Globalization;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The <c>rewrite-cost</c> command: the process CPU time per body of <see cref="DurableRewriteCostBenchmarks"/>' two
/// methods, each window closed by a full collection so that the garbage a body leaves is paid by that body, five rounds.
/// CPU time rather than BenchmarkDotNet's wall clock: on a machine shared with other work the wall clock measures the
/// other work too.
/// </summary>
internal static class RewriteCpuCost
{
    public static async Task RunAsync()
    {
        var benchmarks = new DurableRewriteCostBenchmarks();
        benchmarks.Setup();
        try
        {
            // JIT and tiering are not the bodies'.
            for (var i = 0; i < 500; i++)
            {
                await benchmarks.Plain().ConfigureAwait(false);
                await benchmarks.Durable().ConfigureAwait(false);
            }

            Console.WriteLine("| Round | plain JSON (µs CPU) | 300 management URLs (µs CPU) | Ratio | plain JSON (KB allocated) | 300 management URLs (KB allocated) |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var round = 1; round <= 5; round++)
            {
                var (plain, plainBytes) = await CpuPerBodyAsync(benchmarks.Plain, 2000).ConfigureAwait(false);
                var (durable, durableBytes) = await CpuPerBodyAsync(benchmarks.Durable, 200).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {plain:F0} | {durable:F0} | {durable / plain:F1} | {plainBytes / 1024:F1} | {durableBytes / 1024:F1} |"));
            }
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    /// <summary>CPU µs and bytes allocated per body: <paramref name="forward"/> run <paramref name="bodies"/> times.</summary>
    internal static async Task<(double Cpu, double Allocated)> CpuPerBodyAsync(Func<Task> forward, int bodies)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var start = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < bodies; i++)
        {
            await forward().ConfigureAwait(false);
        }

        var bytes = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / bodies;
        GC.Collect();
        process.Refresh();
        return ((process.TotalProcessorTime - start).TotalMicroseconds / bodies, bytes);
    }
}
