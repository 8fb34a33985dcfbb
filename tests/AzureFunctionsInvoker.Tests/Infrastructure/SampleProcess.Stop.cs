using System.Diagnostics;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>Stopping the sample as an orchestrator does in a rolling restart: SIGTERM, then waiting for it to exit.</summary>
public sealed partial class SampleProcess
{
    /// <summary>The sample's port on 127.0.0.1.</summary>
    public int Port => Client.BaseAddress!.Port;

    /// <summary>Whether the sample has exited, and with which code.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Sends SIGTERM (what Kubernetes, Container Apps and systemd send first), as <c>kill -TERM</c> does.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Completes when the sample has exited; fails when it has not within <paramref name="bound"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        await _process.WaitForExitAsync(timeout.Token);
    }
}
