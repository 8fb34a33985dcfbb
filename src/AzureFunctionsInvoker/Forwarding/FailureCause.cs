using System.Net.Sockets;
using System.Security.Authentication;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// What went wrong with a function, in the few words a log line names it by: <c>connection refused</c>,
/// <c>connection reset</c>, <c>status 503</c>, <c>no answer within the 2000 ms Timeout</c>. Fixed phrases read from the
/// exception's kind and error codes, never from its message, so no address, query or header can reach the line.
/// </summary>
internal static class FailureCause
{
    /// <summary>The cause of <paramref name="failure"/>: what its exception says, else the function's status.</summary>
    public static string Of(ForwarderFailure failure)
    {
        var exception = failure.Exception;
        if (exception is null)
        {
            return failure.StatusCode > 0 ? failure.StatusCause : "no response";
        }

        // The proxy's own refusal of a body (a Durable management URL it cannot rewrite, over the rewriting budget):
        // fixed texts that name no address, made only by the copiers.
        if (exception is InvalidDataException)
        {
            return exception.Message.TrimEnd('.');
        }

        // A handler the app added that gave up (a resilience timeout, an open circuit) is named by its type, whatever
        // transport error it wraps: that is the decision the caller's 502 comes from.
        if (exception is not (HttpRequestException or IOException or SocketException or AuthenticationException or OperationCanceledException))
        {
            return exception.GetType().Name;
        }

        // Else the most telling error in the chain: the socket's own, then the HTTP client's kind of failure.
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket && Of(socket.SocketErrorCode) is { } socketCause)
            {
                return socketCause;
            }
        }

        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            var cause = inner switch
            {
                AuthenticationException => "TLS handshake failed",
                HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http => Of(http.HttpRequestError),
                HttpIOException { HttpRequestError: not HttpRequestError.Unknown } io => Of(io.HttpRequestError),
                _ => null,
            };
            if (cause is not null)
            {
                return cause;
            }
        }

        // The exchange's own timer.
        return exception is OperationCanceledException
            ? $"no answer within the {failure.Options.Timeout} ms Timeout"
            : exception.GetType().Name;
    }

    private static string? Of(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.NetworkDown => "host unreachable",
        SocketError.Success or SocketError.OperationAborted => null,
        _ => $"socket error {error}",
    };

    private static string Of(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => "host name not found",
        HttpRequestError.ConnectionError => "connection failed",
        HttpRequestError.SecureConnectionError => "TLS handshake failed",
        HttpRequestError.ResponseEnded => "connection closed before the response ended",
        HttpRequestError.InvalidResponse => "invalid response",
        HttpRequestError.HttpProtocolError => "HTTP protocol error",
        HttpRequestError.ProxyTunnelError => "proxy tunnel failed",
        HttpRequestError.ExtendedConnectNotSupported or HttpRequestError.VersionNegotiationError => "HTTP version not supported",
        HttpRequestError.ConfigurationLimitExceeded => "response over a client limit",
        HttpRequestError.UserAuthenticationError => "proxy authentication failed",
        _ => error.ToString(),
    };
}
