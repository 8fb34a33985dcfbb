using System.Net.Security;
using System.Net.Sockets;
using AzureFunctionsInvoker.Functions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AzureFunctionsInvoker.Health;

/// <summary>
/// Whether the proxy can reach a function's host: a TCP connection to it and, over HTTPS, a TLS handshake under
/// the function's <c>HttpsVerify</c>, within its <c>Timeout</c> and the registration's timeout. No request is sent, so
/// no function runs and no key leaves the app.
/// </summary>
internal sealed class FunctionHostHealthCheck(FunctionTargetSource function) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var target = function.Current;
        var endpoint = $"{target.Forwarding.ServerAddress}:{target.Forwarding.ServerPort}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.Options.Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(target.Forwarding.ServerAddress, target.Forwarding.ServerPort, timeout.Token).ConfigureAwait(false);
            if (target.Options.Https)
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsClientAsync(TlsOptions(target), timeout.Token).ConfigureAwait(false);
            }

            return HealthCheckResult.Healthy($"Connected to {endpoint}.");
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            var reason = timeout.IsCancellationRequested ? "no connection in time" : e.Message;
            return new HealthCheckResult(context.Registration.FailureStatus, $"Cannot connect to {endpoint}: {reason}", e);
        }
    }

    private static SslClientAuthenticationOptions TlsOptions(FunctionTarget target)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = target.Forwarding.ServerAddress };
        if (!target.Options.HttpsVerify)
        {
            // As for the forwards: the user turned HttpsVerify off on purpose, and a startup warning says so.
#pragma warning disable CA5359
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return options;
    }
}
