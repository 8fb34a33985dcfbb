using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AzureFunctionsInvoker.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
