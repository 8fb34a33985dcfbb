using AzureFunctionsInvoker.Benchmarks.Load;
using AzureFunctionsInvoker.Benchmarks.Micro;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AzureFunctionsInvoker.Benchmarks -- --filter '*'
// Load/*.sh start the proxies they measure from this same build: -- serve library|yarp ...
// -- proxies-allocations compares the bytes per request of a proxies.json proxy and a mount.
// -- proxies-timing times the load and reload of a 1,000-proxy proxies.json (Load/proxies.sh).
// -- sse-function --port P --key K [--interval S]: idle-streams.sh's stand-in function over h2c (HTTP2=1).
// -- allocations prints the exact bytes allocated per forwarded request (docs/benchmarks.md).
// -- rewrite-cost prints the CPU time of a Durable JSON body at the rewriting budget against plain JSON of its size.
// -- scan-cost [body...] prints the CPU time of the 1 MiB body copy with the streamed-body scan against the same copy without it.
if (args is ["serve", var proxy, .. var options])
{
    await LoadProxyHost.RunAsync(proxy, options).ConfigureAwait(false);
}
else if (args is ["proxies-timing", .. var timingOptions])
{
    await ProxiesFileTiming.RunAsync(timingOptions).ConfigureAwait(false);
}
else if (args is ["proxies-allocations"])
{
    await ProxiesAllocations.RunAsync().ConfigureAwait(false);
}
else if (args is ["sse-function", .. var sseOptions])
{
    await SseFunction.RunAsync(sseOptions).ConfigureAwait(false);
}
else if (args is ["allocations"])
{
    await AllocationCount.RunAsync().ConfigureAwait(false);
}
else if (args is ["rewrite-cost"])
{
    await RewriteCpuCost.RunAsync().ConfigureAwait(false);
}
else if (args is ["scan-cost", .. var scanBodies])
{
    await BodyScanCpuCost.RunAsync(scanBodies).ConfigureAwait(false);
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
