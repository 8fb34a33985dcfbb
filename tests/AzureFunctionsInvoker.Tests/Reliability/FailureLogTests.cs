using System.Net;
using System.Net.Sockets;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// What an operator reads when a function fails: one line at Warning per 502 or 504 naming the function, the host and
/// port it was called at and what happened (refused, reset, no answer within Timeout), the exception and its stack
/// only at Debug; and an attempt that failed over, at Information, with its cause, not "status 0".
/// </summary>
public sealed class FailureLogTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_refused_connection_is_one_warning_naming_the_function_host_port_and_cause_with_the_stack_only_at_debug()
    {
        var closedPort = Loopback.ClosedPort();
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = closedPort).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        AssertOneWarningThenDetail(env, response, $"127.0.0.1:{closedPort}", "connection refused");
    }

    [Fact]
    public async Task A_connection_the_function_resets_is_named_as_reset()
    {
        using var resetting = Listen(out var port);
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => o.Port = port).StartAsync();

        var sending = env.Caller.GetAsync("/mytest");
        using (var accepted = await resetting.AcceptSocketAsync().WaitAsync(s_bound))
        {
            // Once the whole request head has arrived, a close with linger 0 sends RST instead of FIN.
            await ReadHeadAsync(accepted);
            accepted.LingerState = new LingerOption(true, 0);
        }

        using var response = await sending.WaitAsync(s_bound);

        AssertOneWarningThenDetail(env, response, $"127.0.0.1:{port}", "connection reset");
    }

    [Fact]
    public async Task A_function_that_accepts_the_connection_and_never_answers_is_one_warning_naming_Timeout()
    {
        // The kernel completes its connections; nothing ever reads or answers them.
        using var frozen = Listen(out var port);
        await using var env = await new ProxyHostBuilder().MountFunction("echo", o => (o.Port, o.Timeout) = (port, 200)).StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var warning = Assert.Single(Warnings(env.Logs));
        Assert.Contains($"The Azure Function 'echo' at 127.0.0.1:{port} did not complete a step within Timeout (200 ms).", warning.Text, StringComparison.Ordinal);
        AssertNoException(warning.Text);
    }

    [Fact]
    public async Task An_attempt_that_fails_over_names_its_backend_and_cause_at_information_not_a_status_0()
    {
        await using var env = await new ProxyHostBuilder()
            .WithRegions(3)
            .WithClock()
            .MountBackends(new Dictionary<string, string?>
            {
                ["Backends:1:Priority"] = "2",
                ["Backends:2:Priority"] = "3",
            })
            .StartAsync();
        await env.Regions[0].StopAsync();
        env.Regions[1].AnswerWith(503);

        using var response = await env.GetAsync();

        Assert.Equal((HttpStatusCode.OK, "C"), (response.StatusCode, StandInRegion.AnsweredBy(response)));
        var failedOver = env.Logs.Entries.Where(e => e.EventId.Name == "FailedOver").ToList();
        Assert.All(failedOver, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.Collection(
            failedOver,
            e => Assert.Contains($"'hello' at 127.0.0.1:{env.Regions[0].Port} failed (connection refused) before anything reached the caller", e.Text, StringComparison.Ordinal),
            e => Assert.Contains($"'hello' at 127.0.0.1:{env.Regions[1].Port} failed (status 503) before anything reached the caller", e.Text, StringComparison.Ordinal));
        Assert.All(failedOver, e => AssertNoException(e.Text));
        Assert.Empty(Warnings(env.Logs));
    }

    private static List<(string Category, LogLevel Level, EventId EventId, string Text)> Warnings(CapturingLoggerProvider logs) =>
        logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("AzureFunctionsInvoker", StringComparison.Ordinal)).ToList();

    // A line's text ends with its exception, stack included, when one was logged with it.
    private static void AssertNoException(string text)
    {
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    // A 502 for no response: one line at Warning naming the function, its host and port and the cause, without the
    // exception, which follows at Debug with its stack.
    private static void AssertOneWarningThenDetail(ProxyTestHost env, HttpResponseMessage response, string endpoint, string cause)
    {
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var warning = Assert.Single(Warnings(env.Logs));
        Assert.Equal("FunctionUnreachable", warning.EventId.Name);
        Assert.Contains($"No response from the Azure Function 'echo' at {endpoint}: {cause}.", warning.Text, StringComparison.Ordinal);
        AssertNoException(warning.Text);
        var detail = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "FunctionFailureDetail");
        Assert.Equal(LogLevel.Debug, detail.Level);
        Assert.Contains($"{endpoint} ({cause})", detail.Text, StringComparison.Ordinal);
        Assert.Contains("SocketException", detail.Text, StringComparison.Ordinal);
        Assert.Contains("   at ", detail.Text, StringComparison.Ordinal);
    }

    private static TcpListener Listen(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private static async Task ReadHeadAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (!received.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(s_bound);
            Assert.NotEqual(0, read);
            received.AddRange(buffer.AsSpan(0, read));
        }
    }
}
