using System.Globalization;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The <c>scan-cost</c> command: the process CPU time per 1 MiB body of <see cref="BodyScanBenchmarks"/>' two methods on
/// each of its bodies, the copy without the scan and with it in turn, eleven rounds, and the median of each with their
/// ratio. CPU time rather than BenchmarkDotNet's wall clock, as <see cref="RewriteCpuCost"/> measures, for a machine
/// shared with other work; the rounds interleave the two so that a busy moment falls on both. Names after the command
/// measure only those bodies (the dense ones take minutes).
/// </summary>
internal static class BodyScanCpuCost
{
    private const int Rounds = 11;
    private const int Bodies = 1000;

    public static async Task RunAsync(string[] only)
    {
        Console.WriteLine("| Body | copy (µs CPU per MiB) | copy and scan (µs CPU per MiB) | Ratio | the scan (µs per MiB) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        string[] bodies = ["zeros", "random", "JSON with URLs", "HTML text", "escaped JSON", "escaped letters", "near misses", "percent signs", "escaped CJK JSON"];
        foreach (var body in only.Length > 0 ? only : bodies)
        {
            var benchmarks = new BodyScanBenchmarks { Body = body };
            benchmarks.Setup();
            try
            {
                // JIT and tiering are not the copies'.
                for (var i = 0; i < Bodies; i++)
                {
                    await benchmarks.Copy().ConfigureAwait(false);
                    await benchmarks.Scanned().ConfigureAwait(false);
                }

                var copy = new double[Rounds];
                var scanned = new double[Rounds];
                for (var round = 0; round < Rounds; round++)
                {
                    (copy[round], _) = await RewriteCpuCost.CpuPerBodyAsync(async () => await benchmarks.Copy().ConfigureAwait(false), Bodies).ConfigureAwait(false);
                    (scanned[round], _) = await RewriteCpuCost.CpuPerBodyAsync(async () => await benchmarks.Scanned().ConfigureAwait(false), Bodies).ConfigureAwait(false);
                }

                var (copyMedian, scannedMedian) = (Median(copy), Median(scanned));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {body} | {copyMedian:F1} | {scannedMedian:F1} | {scannedMedian / copyMedian:F2} | {scannedMedian - copyMedian:F1} |"));
            }
            finally
            {
                benchmarks.Cleanup();
            }
        }
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }
}
