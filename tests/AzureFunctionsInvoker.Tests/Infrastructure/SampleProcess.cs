using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// The sample app (samples/MinimalApi, built next to the tests) as a process of its own on 127.0.0.1 with a
/// port the OS picked, so it is tested as a user runs it and its memory is measured alone.
/// </summary>
public sealed partial class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SampleProcess(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address };
    }

    public HttpClient Client { get; }

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
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var listening = ListeningLine().Match(line);
            if (listening.Success)
            {
                // Keep draining stdout so the sample never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new SampleProcess(process, new Uri(listening.Groups[1].Value));
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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
