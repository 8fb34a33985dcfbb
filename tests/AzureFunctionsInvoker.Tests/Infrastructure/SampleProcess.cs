using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// The sample app (samples/MinimalApi, built next to the tests) as a process of its own on 127.0.0.1 with a
/// port the OS picked, so it is tested as a user runs it and its memory is measured alone. It logs at Trace to its
/// console, and disposing asserts that the function key it was given never appeared there.
/// </summary>
public sealed partial class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Output _output;
    private readonly Task _draining;
    private readonly string? _key;

    private SampleProcess(Process process, Uri address, Output output, Task draining, string? key)
    {
        _process = process;
        _output = output;
        _draining = draining;
        _key = key;
        Client = new HttpClient { BaseAddress = address };
    }

    public HttpClient Client { get; }

    /// <summary>The environment that points the sample's <c>Hello</c> function (at <c>/mytest</c>) at <paramref name="function"/>.</summary>
    public static Dictionary<string, string> Forwarding(StandInFunction function, string functionName, string routePrefix = "/api", string name = "Hello") => new()
    {
        [$"AzureFunctions__{name}__AppName"] = "127.0.0.1",
        [$"AzureFunctions__{name}__HostDomain"] = "",
        [$"AzureFunctions__{name}__Port"] = function.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"AzureFunctions__{name}__Https"] = "false",
        [$"AzureFunctions__{name}__FunctionName"] = functionName,
        [$"AzureFunctions__{name}__RoutePrefix"] = routePrefix,
        [$"AzureFunctions__{name}__ApiKey"] = function.Key,
    };

    public static async Task<SampleProcess> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "MinimalApi.dll"), "--urls", "http://127.0.0.1:0" },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var category in new[] { "Default", "Microsoft.AspNetCore", "System.Net.Http.HttpClient" })
        {
            start.Environment[$"Logging__LogLevel__{category}"] = "Trace";
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new Output();
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, line) => output.Add(line.Data ?? string.Empty);
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.Add(line);
            var listening = ListeningLine().Match(line);
            if (listening.Success)
            {
                // Keep draining stdout so the sample never blocks on a full pipe.
                var draining = DrainAsync(process.StandardOutput, output);
                var key = environment?.GetValueOrDefault("AzureFunctions__Hello__ApiKey");
                return new SampleProcess(process, new Uri(listening.Groups[1].Value), output, draining, key);
            }
        }

        throw new InvalidOperationException($"The sample exited with {process.ExitCode} before listening.");
    }

    /// <summary>A line of /proc/[pid]/status in bytes, e.g. <c>VmRSS</c> (now) or <c>VmHWM</c> (peak).</summary>
    public long ReadMemory(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Completes when the sample has written a line containing <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (true)
        {
            var next = _output.NextLine;
            if (_output.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }

            await next.WaitAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _draining;
        _process.Dispose();

        Assert.NotEmpty(_output.Lines);
        if (!string.IsNullOrEmpty(_key))
        {
            Assert.DoesNotContain(_output.Lines, line => line.Contains(_key, StringComparison.Ordinal));
        }
    }

    private static async Task DrainAsync(StreamReader reader, Output output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            output.Add(line);
        }
    }

    /// <summary>Every line the sample wrote, and a signal for the next one.</summary>
    private sealed class Output
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Lines { get; } = new();

        public Task NextLine => Volatile.Read(ref _next).Task;

        public void Add(string line)
        {
            Lines.Enqueue(line);
            Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
