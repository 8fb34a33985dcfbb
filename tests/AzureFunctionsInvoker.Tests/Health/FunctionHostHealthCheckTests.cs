using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Health;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Health;

/// <summary>Whether a function's host takes a connection (and over HTTPS, a handshake), against hosts on 127.0.0.1.</summary>
public sealed class FunctionHostHealthCheckTests
{
    private const string Key = "the-function-key-0123456789";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_host_that_accepts_a_connection_is_healthy_and_is_sent_nothing()
    {
        using var host = Listen();
        var port = Port(host);

        var result = await CheckAsync(o => o.Port = port);
        using var accepted = await host.AcceptTcpClientAsync().WaitAsync(s_bound);
        var received = await accepted.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(s_bound);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal($"Connected to 127.0.0.1:{port}.", result.Description);
        Assert.Equal(0, received); // Closed without a byte: no request ran the function, no key left the app.
    }

    [Fact]
    public async Task A_refused_connection_is_the_registrations_failure_status_with_the_reason()
    {
        var port = Loopback.ClosedPort();

        var result = await CheckAsync(o => o.Port = port, HealthStatus.Degraded);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        var error = Assert.IsType<SocketException>(result.Exception);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal($"Cannot connect to 127.0.0.1:{port}: {error.Message}", result.Description);
    }

    [Fact]
    public async Task A_connect_that_hangs_past_the_functions_timeout_fails_as_no_connection_in_time()
    {
        using var unanswered = new UnansweredListener();
        Assert.True(await unanswered.ConnectHangsAsync(TimeSpan.FromMilliseconds(300)), "connects to the full backlog must hang");

        var result = await CheckAsync(o => (o.Port, o.Timeout) = (unanswered.Port, 300)).WaitAsync(s_bound);

        AssertNoConnectionInTime(result, unanswered.Port);
    }

    [Fact]
    public async Task A_connect_that_hangs_past_the_registrations_timeout_fails_as_no_connection_in_time()
    {
        using var unanswered = new UnansweredListener();
        Assert.True(await unanswered.ConnectHangsAsync(TimeSpan.FromMilliseconds(300)), "connects to the full backlog must hang");
        using var registrationTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        // The function's own Timeout is ten minutes: the health check service's token ends the check.
        var result = await CheckAsync(o => o.Port = unanswered.Port, cancellationToken: registrationTimeout.Token).WaitAsync(s_bound);

        AssertNoConnectionInTime(result, unanswered.Port);
    }

    [Fact]
    public async Task An_https_host_is_checked_with_a_handshake_not_just_a_connection()
    {
        using var host = Listen();
        var closes = CloseNextConnectionAsync(host);

        var result = await CheckAsync(o => (o.Https, o.Port) = (true, Port(host)));
        await closes;

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.IsType<IOException>(result.Exception, exactMatch: false);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_unhealthy_while_https_verify_is_on()
    {
        using var host = Listen();
        var handshake = ServeOneHandshakeAsync(host);

        var result = await CheckAsync(o => (o.Https, o.Port) = (true, Port(host)));

        await handshake; // Under TLS 1.3 the server's side may complete before the client refuses the certificate.

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        var error = Assert.IsType<AuthenticationException>(result.Exception);
        Assert.Equal($"Cannot connect to 127.0.0.1:{Port(host)}: {error.Message}", result.Description);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_healthy_when_https_verify_is_off()
    {
        using var host = Listen();
        var handshake = ServeOneHandshakeAsync(host);

        var result = await CheckAsync(o => (o.Https, o.HttpsVerify, o.Port) = (true, false, Port(host)));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.True(await handshake);
    }

    /// <summary>Checks a function on 127.0.0.1 whose options hold a key, and that the result, whatever it is, does not.</summary>
    private static async Task<HealthCheckResult> CheckAsync(
        Action<AzureFunctionProxyOptions> configure,
        HealthStatus failureStatus = HealthStatus.Unhealthy,
        CancellationToken cancellationToken = default)
    {
        var options = new AzureFunctionProxyOptions { AppName = "127.0.0.1", HostDomain = string.Empty, Https = false, FunctionName = "hello", ApiKey = Key };
        configure(options);
        var check = new FunctionHostHealthCheck(NamedProxy.Source.Fixed(OptionsOrigin.Mounted(options.FunctionName, "/test"), options, new LiveConnectionSettings(), "AzureFunctionsInvoker", NullLogger.Instance));
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("azure-function-hello", check, failureStatus, tags: null) };

        var result = await check.CheckHealthAsync(context, cancellationToken);

        var everything = string.Join('\n', [result.Description, result.Exception?.ToString(), .. result.Data.Select(d => $"{d.Key}={d.Value}")]);
        Assert.DoesNotContain(Key, everything, StringComparison.Ordinal);
        return result;
    }

    private static void AssertNoConnectionInTime(HealthCheckResult result, int port)
    {
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal($"Cannot connect to 127.0.0.1:{port}: no connection in time", result.Description);
        Assert.IsType<OperationCanceledException>(result.Exception, exactMatch: false);
    }

    private static TcpListener Listen()
    {
        var host = new TcpListener(IPAddress.Loopback, 0);
        host.Start();
        return host;
    }

    private static int Port(TcpListener host) => ((IPEndPoint)host.LocalEndpoint).Port;

    private static async Task CloseNextConnectionAsync(TcpListener host)
    {
        using var accepted = await host.AcceptTcpClientAsync().WaitAsync(s_bound);
    }

    /// <summary>Answers the next connection's TLS handshake with a certificate for 127.0.0.1 that no one trusts; whether it completed.</summary>
    private static async Task<bool> ServeOneHandshakeAsync(TcpListener host)
    {
        using var certificate = Loopback.SelfSignedCertificate();
        using var accepted = await host.AcceptTcpClientAsync().WaitAsync(s_bound);
        await using var tls = new SslStream(accepted.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(certificate).WaitAsync(s_bound);
            return true;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return false;
        }
    }
}
