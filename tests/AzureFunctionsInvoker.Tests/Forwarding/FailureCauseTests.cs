using System.Net.Sockets;
using System.Security.Authentication;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class FailureCauseTests
{
    private static readonly AzureFunctionProxyOptions s_options = new() { AppName = "myapp", FunctionName = "hello", Timeout = 2000 };

    public static TheoryData<Exception, string> Causes => new()
    {
        { new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.ConnectionRefused)), "connection refused" },
        { new HttpRequestException("x", new IOException("y", new SocketException((int)SocketError.ConnectionReset))), "connection reset" },
        { new HttpIOException(HttpRequestError.ResponseEnded, "x"), "connection closed before the response ended" },
        { new HttpRequestException(HttpRequestError.NameResolutionError, "x", new SocketException((int)SocketError.HostNotFound)), "host name not found" },
        { new HttpRequestException(HttpRequestError.SecureConnectionError, "x", new AuthenticationException("y")), "TLS handshake failed" },
        { new TaskCanceledException("x"), "no answer within the 2000 ms Timeout" },

        // A handler the app added that gave up is named by its type, whatever it wraps.
        { new TimeoutException("x", new HttpIOException(HttpRequestError.ResponseEnded, "y")), nameof(TimeoutException) },
    };

    [Theory]
    [MemberData(nameof(Causes))]
    public void A_failure_is_named_by_its_kind_never_its_message(Exception exception, string cause) =>
        Assert.Equal(cause, FailureCause.Of(new ForwarderFailure(s_options, "GET", Exception: exception)));

    [Fact]
    public void An_answer_without_an_exception_is_named_by_its_status() =>
        Assert.Equal("status 503", FailureCause.Of(new ForwarderFailure(s_options, "GET", 503)));
}
