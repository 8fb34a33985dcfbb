using AzureFunctionsInvoker.Benchmarks.Load;
using AzureFunctionsInvoker.Benchmarks.Micro;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AzureFunctionsInvoker.Benchmarks -- --filter '*'
// Load/*.sh start the proxies they measure from this same build: -- serve library|yarp ...
// -- sse-function --port P --key K [--interval S]: idle-streams.sh's stand-in function over h2c (HTTP2=1).
// -- allocations prints the exact bytes allocated per forwarded request (docs/benchmarks.md).
if (args is ["serve", var proxy, .. var options])
{
    await LoadProxyHost.RunAsync(proxy, options).ConfigureAwait(false);
}
else if (args is ["sse-function", .. var sseOptions])
{
    await SseFunction.RunAsync(sseOptions).ConfigureAwait(false);
}
else if (args is ["allocations"])
{
    await AllocationCount.RunAsync().ConfigureAwait(false);
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
