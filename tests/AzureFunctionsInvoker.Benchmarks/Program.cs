using AzureFunctionsInvoker.Benchmarks.Load;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AzureFunctionsInvoker.Benchmarks -- --filter '*'
// Load/run.sh and Load/memory.sh start the proxies they measure from this same build: -- serve library|yarp ...
if (args is ["serve", var proxy, .. var options])
{
    await LoadProxyHost.RunAsync(proxy, options).ConfigureAwait(false);
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
