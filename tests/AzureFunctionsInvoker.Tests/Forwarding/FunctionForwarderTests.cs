using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RichardSzalay.MockHttp;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class FunctionForwarderTests
{
    private static readonly ProxyMetrics s_metrics = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
    private static readonly Uri s_target = new("https://myapp.azurewebsites.net/api/hello/x?y=1");
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly MockHttpMessageHandler _function = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Sends_the_callers_method_body_and_headers_with_the_key_and_connection_settings()
    {
        HttpRequestMessage? sent = null;
        string? sentBody = null;
        _function.When("*").Respond(async request =>
        {
            sent = request;
            sentBody = await request.Content!.ReadAsStringAsync();
            return new HttpResponseMessage(HttpStatusCode.Created);
        });
        var context = Context("PUT", "the body");
        context.Request.Headers["X-Custom"] = "custom";
        var options = Options(o => o.ApiKey = "the-key");

        var error = await Forwarder().ForwardAsync(context, Target(options), s_target);

        Assert.Equal(ForwarderError.None, error);
        Assert.Equal(HttpMethod.Put, sent!.Method);
        Assert.Equal(s_target, sent.RequestUri);
        Assert.Equal("the body", sentBody);
        Assert.Equal(["custom"], sent.Headers.GetValues("X-Custom"));
        Assert.Equal(["the-key"], sent.Headers.GetValues("x-functions-key"));
        Assert.Equal(TimeSpan.FromMilliseconds(options.Keepalive), Assert.IsType<FunctionHttpHandler.FunctionRequestMessage>(sent).Connection.IdleTimeout);
    }

    [Fact]
    public async Task Copies_the_functions_status_headers_and_body_to_the_caller()
    {
        _function.When("*").Respond(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.Accepted) { Content = new StringContent("from the function", Encoding.UTF8, "text/plain") };
            response.Headers.TryAddWithoutValidation("X-From-Function", "yes");
            return response;
        });
        var context = Context("GET");

        var error = await Forwarder().ForwardAsync(context, Target(Options()), s_target);

        Assert.Equal(ForwarderError.None, error);
        Assert.Equal(StatusCodes.Status202Accepted, context.Response.StatusCode);
        Assert.Equal("yes", context.Response.Headers["X-From-Function"]);
        Assert.Equal("text/plain; charset=utf-8", context.Response.ContentType);
        Assert.Equal("from the function", ResponseBody(context));
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError)]
    [InlineData(HttpRequestError.NameResolutionError)]
    [InlineData(HttpRequestError.SecureConnectionError)]
    [InlineData(HttpRequestError.InvalidResponse)]
    [InlineData(HttpRequestError.ResponseEnded)]
    public async Task A_transport_failure_is_function_unreachable(HttpRequestError kind)
    {
        _function.When("*").Throw(new HttpRequestException(kind, "myapp.azurewebsites.net:443"));

        var error = await Forwarder().ForwardAsync(Context("GET"), Target(Options()), s_target);

        Assert.Equal(ForwarderError.FunctionUnreachable, error);
    }

    [Fact]
    public async Task No_response_within_timeout_is_function_timeout()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _function.When("*").Respond(new HangingHandler(arrived.SetResult));
        var options = Options();

        var forwarding = Forwarder().ForwardAsync(Context("GET"), Target(options), s_target);
        await arrived.Task.WaitAsync(s_bound);
        _time.Advance(TimeSpan.FromMilliseconds(options.Timeout));

        Assert.Equal(ForwarderError.FunctionTimedOut, await forwarding.WaitAsync(s_bound));
    }

    [Fact]
    public async Task Headers_without_a_body_byte_within_timeout_is_function_timeout()
    {
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _function.When("*").Respond(_ => new HttpResponseMessage
        {
            Content = new StreamContent(new ScriptedStream(async cancellationToken =>
            {
                reading.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return 0;
            })),
        });
        var options = Options();
        var context = Context("GET");

        var forwarding = Forwarder().ForwardAsync(context, Target(options), s_target);
        await reading.Task.WaitAsync(s_bound); // the forwarder now times its wait on the body
        _time.Advance(TimeSpan.FromMilliseconds(options.Timeout));

        Assert.Equal(ForwarderError.FunctionTimedOut, await forwarding.WaitAsync(s_bound));
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public async Task A_caller_that_goes_away_is_caller_aborted()
    {
        using var callerGone = new CancellationTokenSource();
        _function.When("*").Respond(new HangingHandler(callerGone.Cancel));
        var context = Context("GET");
        context.RequestAborted = callerGone.Token;

        var error = await Forwarder().ForwardAsync(context, Target(Options()), s_target);

        Assert.Equal(ForwarderError.CallerAborted, error);
    }

    [Theory]
    [InlineData(StatusCodes.Status413PayloadTooLarge, nameof(ForwarderError.RequestBodyTooLarge))]
    [InlineData(StatusCodes.Status400BadRequest, nameof(ForwarderError.RequestBodyFailed))]
    public async Task A_failure_reading_the_callers_body_is_the_callers_fault(int kestrelStatus, string expected)
    {
        var context = Context("POST");
        context.Request.Body = new FailingStream(new BadHttpRequestException("body", kestrelStatus));
        context.Request.ContentLength = 10;

        var error = await Forwarder(new BodyReadingHandler()).ForwardAsync(context, Target(Options()), s_target);

        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public async Task A_response_body_that_fails_is_a_response_body_error()
    {
        _function.When("*").Respond(_ => new HttpResponseMessage { Content = new StreamContent(new FailingStream(new IOException("reset"))) });
        var context = Context("GET");

        var error = await Forwarder().ForwardAsync(context, Target(Options()), s_target);

        Assert.Equal(ForwarderError.ResponseBodyFailed, error);
    }

    [Fact]
    public async Task A_new_handler_pipeline_from_the_factory_is_used_from_the_next_request_on()
    {
        var first = new MockHttpMessageHandler();
        first.When("*").Respond(HttpStatusCode.OK, "text/plain", "first");
        var second = new MockHttpMessageHandler();
        second.When("*").Respond(HttpStatusCode.OK, "text/plain", "second");
        var handlers = new Mock<IHttpMessageHandlerFactory>();
        handlers.SetupSequence(f => f.CreateHandler(FunctionForwarder.ClientName)).Returns(first).Returns(first).Returns(second);
        var forwarder = new Forward(new FunctionForwarder(handlers.Object, FunctionForwarder.ClientName, _time, NullLogger<FunctionForwarder>.Instance));

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var context = Context("GET");
            await forwarder.ForwardAsync(context, Target(Options()), s_target);
            answers.Add(ResponseBody(context));
        }

        Assert.Equal(["first", "first", "second"], answers);
    }

    private Forward Forwarder(HttpMessageHandler? function = null)
    {
        var handlers = new Mock<IHttpMessageHandlerFactory>();
        handlers.Setup(f => f.CreateHandler(FunctionForwarder.ClientName)).Returns(function ?? _function);
        return new(new FunctionForwarder(handlers.Object, FunctionForwarder.ClientName, _time, NullLogger<FunctionForwarder>.Instance));
    }

    private static DefaultHttpContext Context(string method, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Response.Body = new MemoryStream();
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
        }

        return context;
    }

    private static string ResponseBody(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    private static Backend Target(AzureFunctionProxyOptions options) => NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/mytest"), options, NullLogger.Instance).Backend;

    private static AzureFunctionProxyOptions Options(Action<AzureFunctionProxyOptions>? configure = null)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A function that never answers; it runs <paramref name="onRequest"/> once the request reached it.</summary>
    private sealed class HangingHandler(Action? onRequest = null) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onRequest?.Invoke();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new HttpResponseMessage();
        }
    }

    /// <summary>A function that reads the whole request body before it answers, as a transport sending it would.</summary>
    private sealed class BodyReadingHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await request.Content!.CopyToAsync(Stream.Null, cancellationToken);
            return new HttpResponseMessage();
        }
    }

    /// <summary>A read-only stream each of whose reads is <paramref name="read"/>.</summary>
    private sealed class ScriptedStream(Func<CancellationToken, Task<int>> read) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => read(CancellationToken.None).GetAwaiter().GetResult();
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(read(cancellationToken));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    // The exchange as a mount runs it: the one forward path over a pool of one, its response copied to the caller.
    private sealed class Forward(FunctionForwarder exchange)
    {
        private readonly PoolForwarder _path = new(exchange, new ResponseCopier(NullLogger.Instance, drain: null), s_metrics, NullLogger.Instance);

        public Task<ForwarderError> ForwardAsync(HttpContext context, Backend target, Uri uri) =>
            _path.ForwardAsync(context, BackendPool.Of(target), default, uri).AsTask();
    }
}
