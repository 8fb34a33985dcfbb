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

            Console.WriteLine("| Round | plain JSON (µs CPU) | 300 management URLs (µs CPU) | Ratio |");
            Console.WriteLine("| ---: | ---: | ---: | ---: |");
            for (var round = 1; round <= 5; round++)
            {
                var plain = await CpuPerBodyAsync(benchmarks.Plain, 2000).ConfigureAwait(false);
                var durable = await CpuPerBodyAsync(benchmarks.Durable, 200).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {plain:F0} | {durable:F0} | {durable / plain:F1} |"));
            }
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private static async Task<double> CpuPerBodyAsync(Func<Task> forward, int bodies)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var start = process.TotalProcessorTime;
        for (var i = 0; i < bodies; i++)
        {
            await forward().ConfigureAwait(false);
        }

        GC.Collect();
        process.Refresh();
        return (process.TotalProcessorTime - start).TotalMicroseconds / bodies;
    }
}
