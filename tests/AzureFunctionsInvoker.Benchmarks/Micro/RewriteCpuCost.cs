using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The <c>rewrite-cost</c> command: the process CPU time per body of <see cref="DurableRewriteCostBenchmarks"/>' two
/// methods, for each shape of its URLs, after a warm-up, each window closed by a full collection so that the garbage a body leaves is paid
/// by that body, nine rounds and their median ratio.
/// CPU time rather than BenchmarkDotNet's wall clock: on a machine shared with other work the wall clock measures the
/// other work too.
/// </summary>
internal static class RewriteCpuCost
{
    private const int Rounds = 9;

    public static async Task RunAsync()
    {
        Console.WriteLine("| URLs | Round | plain JSON (µs CPU) | 300 management URLs (µs CPU) | Ratio | plain JSON (KB allocated) | 300 management URLs (KB allocated) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var urls in (string[])[DurableRewriteCostBenchmarks.StatusUrls, DurableRewriteCostBenchmarks.ShortestUrls, DurableRewriteCostBenchmarks.AlikeUrls, DurableRewriteCostBenchmarks.EscapedText])
        {
            var benchmarks = new DurableRewriteCostBenchmarks { Urls = urls };
            benchmarks.Setup();
            try
            {
                // JIT and tiering are not the bodies': 2,000 of each and at least 3 s (tiering compiles in the background).
                var warming = Stopwatch.StartNew();
                for (var i = 0; i < 2000 || warming.Elapsed < TimeSpan.FromSeconds(3); i++)
                {
                    await benchmarks.Plain().ConfigureAwait(false);
                    await benchmarks.Durable().ConfigureAwait(false);
                }

                // Short windows, plain and Durable side by side, so that a change in the machine's load falls on both.
                var ratios = new List<double>();
                for (var round = 1; round <= Rounds; round++)
                {
                    var (plain, plainBytes) = await CpuPerBodyAsync(benchmarks.Plain, 2000).ConfigureAwait(false);
                    var (durable, durableBytes) = await CpuPerBodyAsync(benchmarks.Durable, 400).ConfigureAwait(false);
                    ratios.Add(durable / plain);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {urls} | {round} | {plain:F0} | {durable:F0} | {durable / plain:F1} | {plainBytes / 1024:F1} | {durableBytes / 1024:F1} |"));
                }

                ratios.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {urls} | median | | | {ratios[Rounds / 2]:F1} | | |"));
            }
            finally
            {
                benchmarks.Cleanup();
            }
        }
    }

    /// <summary>CPU µs and bytes allocated per body: <paramref name="forward"/> run <paramref name="bodies"/> times.</summary>
    internal static async Task<(double Cpu, double Allocated)> CpuPerBodyAsync(Func<Task> forward, int bodies)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var start = ProcessCpu();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < bodies; i++)
        {
            await forward().ConfigureAwait(false);
        }

        var bytes = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / bodies;
        GC.Collect();
        return ((ProcessCpu() - start).TotalMicroseconds / bodies, bytes);
    }

    // The process's CPU time to the nanosecond where the OS tells it (clock_gettime on Linux): Process.TotalProcessorTime
    // counts 10 ms ticks, a quarter of a short window.
    private static TimeSpan ProcessCpu()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ProcessCpuTimeClock, out var time) == 0)
        {
            return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
        }

        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private const int ProcessCpuTimeClock = 2;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
