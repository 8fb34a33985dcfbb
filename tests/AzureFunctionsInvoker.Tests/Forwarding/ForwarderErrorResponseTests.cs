using System.Text;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class ForwarderErrorResponseTests
{
    [Theory]
    [InlineData(nameof(ForwarderError.UnsafePath), 400)]
    [InlineData(nameof(ForwarderError.RequestBodyFailed), 400)]
    [InlineData(nameof(ForwarderError.RequestBodyTooLarge), 413)]
    [InlineData(nameof(ForwarderError.FunctionUnreachable), 502)]
    [InlineData(nameof(ForwarderError.ResponseBodyFailed), 502)]
    [InlineData(nameof(ForwarderError.FunctionTimedOut), 504)]
    [InlineData(nameof(ForwarderError.MethodNotAllowed), 405)]
    [InlineData(nameof(ForwarderError.RequestHeaderInvalid), 400)]
    [InlineData(nameof(ForwarderError.InformationalResponse), 502)]
    public async Task Maps_each_error_to_its_status_with_a_problem_body(string error, int status)
    {
        var context = Context(services: null);
        context.Response.Headers["X-From-Function"] = "partial";

        await ForwarderErrorResponse.WriteAsync(context, Enum.Parse<ForwarderError>(error));

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.False(context.Response.Headers.ContainsKey("X-From-Function"));
        Assert.Contains($"\"status\":{status}", Body(context), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hands_the_problem_to_the_apps_problem_details_service()
    {
        var service = new Mock<IProblemDetailsService>();
        service.Setup(s => s.TryWriteAsync(It.IsAny<ProblemDetailsContext>())).ReturnsAsync(true);
        var context = Context(service.Object);

        await ForwarderErrorResponse.WriteAsync(context, ForwarderError.FunctionTimedOut);

        service.Verify(s => s.TryWriteAsync(It.Is<ProblemDetailsContext>(p => p.ProblemDetails.Status == 504 && p.HttpContext == context)), Times.Once);
        Assert.Equal(504, context.Response.StatusCode);
        Assert.Empty(Body(context));
    }

    [Fact]
    public async Task Writes_its_own_body_when_the_apps_service_declines()
    {
        var service = new Mock<IProblemDetailsService>();
        service.Setup(s => s.TryWriteAsync(It.IsAny<ProblemDetailsContext>())).ReturnsAsync(false);
        var context = Context(service.Object);

        await ForwarderErrorResponse.WriteAsync(context, ForwarderError.FunctionUnreachable);

        Assert.Equal("""{"title":"Bad Gateway","status":502,"detail":"The function could not be reached."}""", Body(context));
    }

    [Fact]
    public async Task Aborts_an_http11_callers_connection_instead_of_writing_once_the_response_has_started()
    {
        var (context, lifetime, reset) = Started("HTTP/1.1");

        await ForwarderErrorResponse.WriteAsync(context, ForwarderError.ResponseBodyFailed);

        Assert.True(lifetime.Aborted);
        Assert.Null(reset.ErrorCode);
    }

    [Theory]
    [InlineData("HTTP/2", nameof(ForwarderError.ResponseBodyFailed), 0x2)] // INTERNAL_ERROR
    [InlineData("HTTP/2", nameof(ForwarderError.FunctionTimedOut), 0x8)] // CANCEL
    [InlineData("HTTP/3", nameof(ForwarderError.ResponseBodyFailed), 0x102)] // H3_INTERNAL_ERROR
    [InlineData("HTTP/3", nameof(ForwarderError.FunctionTimedOut), 0x10c)] // H3_REQUEST_CANCELLED
    public async Task Resets_just_the_stream_of_an_http2_or_http3_caller_once_the_response_has_started(string protocol, string error, int errorCode)
    {
        var (context, lifetime, reset) = Started(protocol);

        await ForwarderErrorResponse.WriteAsync(context, Enum.Parse<ForwarderError>(error));

        Assert.Equal(errorCode, reset.ErrorCode);
        Assert.False(lifetime.Aborted);
    }

    [Fact]
    public async Task Writes_nothing_for_a_caller_that_went_away()
    {
        var context = Context(services: null);

        await ForwarderErrorResponse.WriteAsync(context, ForwarderError.CallerAborted);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Empty(Body(context));
    }

    private static DefaultHttpContext Context(IProblemDetailsService? services)
    {
        var collection = new ServiceCollection();
        if (services is not null)
        {
            collection.AddSingleton(services);
        }

        return new DefaultHttpContext { RequestServices = collection.BuildServiceProvider(), Response = { Body = new MemoryStream() } };
    }

    // A response already started, on a server that offers a stream reset (as Kestrel does to HTTP/2 and HTTP/3 callers).
    private static (DefaultHttpContext Context, AbortRecorder Lifetime, ResetRecorder Reset) Started(string protocol)
    {
        var context = Context(services: null);
        context.Request.Protocol = protocol;
        var lifetime = new AbortRecorder();
        var reset = new ResetRecorder();
        context.Features.Set<IHttpResponseFeature>(new StartedResponse());
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        context.Features.Set<IHttpResetFeature>(reset);
        return (context, lifetime, reset);
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }

    private sealed class AbortRecorder : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }

    private sealed class ResetRecorder : IHttpResetFeature
    {
        public int? ErrorCode { get; private set; }

        public void Reset(int errorCode) => ErrorCode = errorCode;
    }
}
