using System.Net;
using System.Net.Sockets;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Reliability;

/// <summary>
/// The function key never leaves the x-functions-key header: not in a log line at any level (every test that uses
/// <see cref="ProxyTestHost"/> asserts that when it is disposed), not in an error body, not in the options' text.
/// These cases walk every kind of outcome on purpose.
/// </summary>
public sealed class KeyLeakTests
{
    private const string UnresolvableName = "unresolvable name";

    public static TheoryData<string> Outcomes => new(s_outcomes.Keys);

    private static readonly Dictionary<string, (string Function, Action<AzureFunctionProxyOptions> Configure, string Path, int?[] Statuses)> s_outcomes = new()
    {
        ["forwarded"] = ("cookies", _ => { }, "/mytest?code=visible", [200]),
        ["function's own 401"] = ("echo", o => o.ApiKey += "-wrong", "/mytest", [401]),
        ["refused connection"] = ("echo", o => o.Port = Loopback.ClosedPort(), "/mytest", [502]),
        // Sent through a connect that resolves no name (see FailingNameResolution): no DNS query leaves the machine.
        [UnresolvableName] = ("echo", o => (o.AppName, o.HostDomain) = ("no-such-function-app", "invalid"), "/mytest", [502]),
        ["TLS handshake failure"] = ("echo", o => o.Https = true, "/mytest", [502]),
        ["timeout"] = ("hang", _ => { }, "/mytest", [504]),
        ["death before the body"] = ("die", _ => { }, "/mytest", [502]),
        ["body too large"] = ("echo", o => o.MaxRequestBodySize = 10, "/mytest", [413]),
        ["unsafe path"] = ("echo", _ => { }, "/mytest/%252e%252e/admin", [400]),
        ["cut mid-body"] = ("truncate", _ => { }, "/mytest?now", [null, 502]),
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task The_key_is_in_no_log_line_at_trace_and_no_body_whatever_the_outcome(string outcome)
    {
        var (function, configure, path, statuses) = s_outcomes[outcome];
        var clock = new ObservableClock();
        await using var env = await new ProxyHostBuilder()
            .MountFunction(function, configure)
            .ConfigureServices(builder =>
            {
                clock.UseIn(builder);
                if (outcome == UnresolvableName)
                {
                    FailingNameResolution(builder);
                }
            })
            .StartAsync();

        var (actualStatus, body) = await SendAsync(env, clock, path);

        Assert.Contains(actualStatus, statuses);
        Assert.DoesNotContain(env.Function.Key, body, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Options.ApiKey!, body, StringComparison.Ordinal);
        // The capture saw the exchange at Trace, where the client factory lists the request's header names.
        Assert.Contains(env.Logs.Entries, e => e.Level == LogLevel.Trace);
        env.Logs.AssertNeverLogged(env.Options.ApiKey!);
    }

    [Fact]
    public async Task The_client_logging_an_app_turns_on_shows_the_forwarded_headers_with_the_key_redacted()
    {
        await using var env = await new ProxyHostBuilder()
            .MountFunction("echo")
            .ConfigureServices(builder => builder.Services.AddAzureFunctionProxy().AddDefaultLogger())
            .StartAsync();

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.True(response.IsSuccessStatusCode);
        Assert.Contains(env.Logs.Entries, e => e.Level == LogLevel.Trace && e.Text.Contains("x-functions-key", StringComparison.OrdinalIgnoreCase));
        env.Logs.AssertNeverLogged(env.Options.ApiKey!);
    }

    [Fact]
    public void The_options_text_does_not_show_the_key()
    {
        const string key = "Pr1v4te-function-KEY";
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = key, ClientId = "client" };

        Assert.DoesNotContain(key, options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, $"{options}", StringComparison.Ordinal);
    }

    // The proxy's own connect, but for names: a host name fails as the system resolver fails for one that does not
    // exist, so the transport's real exception (naming host and port) is what gets logged and answered.
    private static void FailingNameResolution(WebApplicationBuilder builder) =>
        builder.Services.AddAzureFunctionProxy().ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                if (!IPAddress.TryParse(context.DnsEndPoint.Host, out var address))
                {
                    throw new SocketException((int)SocketError.HostNotFound);
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(address, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        });

    private static async Task<(int? Status, string Body)> SendAsync(ProxyTestHost env, ObservableClock clock, string path)
    {
        try
        {
            using var response = await clock.ExpireOnArrivalAsync(env.SendRawPathAsync(HttpMethod.Post, path, new StringContent("a body longer than ten bytes")), env);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            // The response was cut off mid-body: the caller's connection was aborted (a null status).
            return (null, string.Empty);
        }
    }
}
