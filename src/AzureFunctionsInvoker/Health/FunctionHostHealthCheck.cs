using System.Net.Security;
using System.Net.Sockets;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AzureFunctionsInvoker.Health;

/// <summary>
/// Whether the proxy can reach a function's host: a TCP connection to it and, over HTTPS, a TLS handshake under
/// the function's <c>HttpsVerify</c>, within its <c>Timeout</c> and the registration's timeout. No request is sent, so
/// no function runs and no key leaves the app. For a function with backends, each is checked so, and one whose
/// circuit is open counts as unavailable: healthy when a backend of the first priority is available, degraded when
/// only lower priorities are, and the registration's failure status when none is, naming each.
/// </summary>
internal sealed class FunctionHostHealthCheck(NamedProxy.Source function) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var pool = function.Current.Pool;
        if (!pool.HasFailover)
        {
            var (endpoint, failure, exception) = await ConnectAsync(pool.Backends[0], cancellationToken).ConfigureAwait(false);
            return failure is null
                ? HealthCheckResult.Healthy($"Connected to {endpoint}.")
                : new HealthCheckResult(context.Registration.FailureStatus, $"Cannot connect to {endpoint}: {failure}", exception);
        }

        var checks = await Task.WhenAll(pool.Backends.Select((backend, i) => CheckBackendAsync(backend, pool.CircuitOf(i), cancellationToken))).ConfigureAwait(false);
        var available = Enumerable.Range(0, checks.Length).Where(i => checks[i].Failure is null).ToArray();
        var description = string.Join("; ", checks.Select((check, i) => check.Failure is null
            ? $"{check.Endpoint} (priority {pool.Priorities[i]}) is available"
            : $"{check.Endpoint} (priority {pool.Priorities[i]}) is not: {check.Failure}"));
        if (available.Any(i => pool.Priorities[i] == pool.Priorities[0]))
        {
            return HealthCheckResult.Healthy(description + ".");
        }

        return available.Length > 0
            ? HealthCheckResult.Degraded($"Only lower priorities are available: {description}.")
            : new HealthCheckResult(context.Registration.FailureStatus, $"No backend is available: {description}.");
    }

    private static async Task<(string Endpoint, string? Failure, Exception? Exception)> CheckBackendAsync(Backend backend, CircuitBreaker? circuit, CancellationToken cancellationToken)
    {
        if (circuit is { State.IsOpen: true })
        {
            return (circuit.State.Endpoint, "its circuit is open", null);
        }

        return await ConnectAsync(backend, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(string Endpoint, string? Failure, Exception? Exception)> ConnectAsync(Backend backend, CancellationToken cancellationToken)
    {
        var endpoint = $"{backend.ServerAddress}:{backend.ServerPort}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(backend.Options.Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(backend.ServerAddress, backend.ServerPort, timeout.Token).ConfigureAwait(false);
            if (backend.Options.Https)
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsClientAsync(TlsOptions(backend), timeout.Token).ConfigureAwait(false);
            }

            return (endpoint, null, null);
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            return (endpoint, timeout.IsCancellationRequested ? "no connection in time" : e.Message, e);
        }
    }

    private static SslClientAuthenticationOptions TlsOptions(Backend backend)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = backend.ServerAddress };
        if (!backend.Options.HttpsVerify)
        {
            // As for the forwards: the user turned HttpsVerify off on purpose, and a startup warning says so.
#pragma warning disable CA5359
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return options;
    }
}
