using System.Globalization;
using System.Runtime;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The <c>allocations</c> command: the exact bytes each of <see cref="ForwardingBenchmarks"/>' methods allocates per
/// request, in every scenario, from <see cref="GC.GetTotalAllocatedBytes(bool)"/> around a run of requests. BenchmarkDotNet's
/// column rounds to 0.01 KB, too coarse for a budget in bytes.
/// </summary>
internal static class AllocationCount
{
    private const int Requests = 20_000;
    private const int MaxWarmUpRounds = 50;

    public static async Task RunAsync()
    {
        Console.WriteLine($"| Scenario | direct (B) | YARP IHttpForwarder (B) | AzureFunctionsInvoker (B) | AzureFunctionsInvoker, two backends (B) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var scenario in Scenario.All)
        {
            var benchmarks = new ForwardingBenchmarks { Scenario = scenario };
            benchmarks.Setup();
            try
            {
                var direct = await PerRequestAsync(benchmarks.Direct).ConfigureAwait(false);
                var yarp = await PerRequestAsync(benchmarks.Yarp).ConfigureAwait(false);
                var library = await PerRequestAsync(benchmarks.Library).ConfigureAwait(false);
                var twoBackends = await PerRequestAsync(benchmarks.LibraryTwoBackends).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {direct:N0} | {yarp:N0} | {library:N0} | {twoBackends:N0} |"));
            }
            finally
            {
                benchmarks.Cleanup();
            }
        }
    }

    private static async Task<long> PerRequestAsync(Func<Task> forward)
    {
        // JIT, tiering and the pools' first buffers are not the forward's. Tiering recompiles hot methods in the
        // background, later on a busy machine: until it has, part of the requests run unoptimized code, which allocates
        // what optimized code keeps on the stack. So the warm-up goes on until a run of requests compiles no method.
        var compiled = -1L;
        for (var round = 0; round < MaxWarmUpRounds && (round < 3 || JitInfo.GetCompiledMethodCount() != compiled); round++)
        {
            compiled = JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < Requests; i++)
            {
                await forward().ConfigureAwait(false);
            }
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < Requests; i++)
        {
            await forward().ConfigureAwait(false);
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / Requests;
    }
}
