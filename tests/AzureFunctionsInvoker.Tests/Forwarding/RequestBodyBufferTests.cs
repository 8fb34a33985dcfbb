using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="RequestBodyBuffer"/> on a request held in memory: which bodies it reads whole, what it answers for each way
/// reading can fail, and what it reports of a temporary file. Over sockets: Integration/RequestBodyFramingTests.
/// </summary>
public sealed class RequestBodyBufferTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("azfi-buffer-").FullName;

    [Theory]
    [InlineData(null, true, false, true)] // HTTP/1.1 chunked or HTTP/2 without content-length
    [InlineData(5L, true, false, false)] // a length: sent as it is
    [InlineData(null, false, false, false)] // no body at all
    [InlineData(null, true, true, false)] // already held whole by earlier middleware in a stream of its own
    public void Reads_whole_a_body_of_no_known_length_not_yet_held(long? contentLength, bool canHaveBody, bool seekable, bool expected)
    {
        var context = ContextWith(contentLength, canHaveBody, seekable ? new MemoryStream([1, 2, 3]) : new CallerStream([1, 2, 3]));

        Assert.Equal(expected, RequestBodyBuffer.IsNeeded(context));
        Assert.Equal(expected, RequestBodyBuffer.IsNeeded(context, new AzureFunctionProxyOptions { RequestBodyFraming = RequestBodyFraming.ContentLength }));
        Assert.False(RequestBodyBuffer.IsNeeded(context, new AzureFunctionProxyOptions { RequestBodyFraming = RequestBodyFraming.AsSent }));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Without_a_servers_body_detection_a_transfer_encoding_says_there_is_a_body(bool transferEncoding, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new CallerStream([1]);
        if (transferEncoding)
        {
            context.Request.Headers.TransferEncoding = "chunked";
        }

        Assert.Null(context.Features.Get<IHttpRequestBodyDetectionFeature>());
        Assert.Equal(expected, RequestBodyBuffer.IsNeeded(context));
    }

    [Fact]
    public void A_body_buffered_by_EnableBuffering_is_still_to_be_read_whole()
    {
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3]));
        context.Request.Body = new FileBufferingReadStream(context.Request.Body, 1024, null, _temp);

        Assert.True(RequestBodyBuffer.IsNeeded(context));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(3, 3L)]
    [InlineData(3, null)]
    [InlineData(RequestBodyBuffer.MemoryThreshold + 1, null)] // into a temporary file
    public async Task A_body_read_whole_is_rewound_and_reports_its_length(int size, long? limit)
    {
        var body = Bytes(size);
        var context = ContextWith(null, canHaveBody: true, new CallerStream(body));
        Assert.Null(RequestBodyBuffer.LengthOf(context));

        var (error, exception) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit);

        Assert.Equal(ForwarderError.None, error);
        Assert.Null(exception);
        Assert.Equal(size, RequestBodyBuffer.LengthOf(context));
        Assert.Equal(0, context.Request.Body.Position);
        using var read = new MemoryStream();
        await context.Request.Body.CopyToAsync(read);
        Assert.Equal(body, read.ToArray());
    }

    [Fact]
    public async Task A_temporary_file_lives_until_the_request_ends()
    {
        var response = new CompletingResponse();
        var context = ContextWith(null, canHaveBody: true, new CallerStream(Bytes(RequestBodyBuffer.MemoryThreshold + 1)));
        context.Features.Set<IHttpResponseFeature>(response);

        await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Single(Directory.GetFiles(_temp));
        await response.CompleteAsync();
        Assert.Empty(Directory.GetFiles(_temp));
    }

    [Fact]
    public void A_body_with_a_length_reports_none_of_the_buffers()
    {
        var context = ContextWith(3, canHaveBody: true, new FileBufferingReadStream(new MemoryStream([1, 2, 3]), 1024, null, _temp));

        Assert.Null(RequestBodyBuffer.LengthOf(context));
    }

    [Theory]
    [InlineData(4, 3L)]
    [InlineData(RequestBodyBuffer.MemoryThreshold + 1, RequestBodyBuffer.MemoryThreshold)]
    public async Task A_body_larger_than_the_limit_is_refused(int size, long limit)
    {
        var context = ContextWith(null, canHaveBody: true, new CallerStream(Bytes(size)));

        var (error, _) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit);

        Assert.Equal(ForwarderError.RequestBodyTooLarge, error);
    }

    [Fact]
    public async Task A_body_that_earlier_middleware_buffered_is_read_to_its_end_and_rewound()
    {
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3]));
        var buffered = new FileBufferingReadStream(context.Request.Body, 1024, null, _temp);
        context.Request.Body = buffered;
        context.Response.RegisterForDispose(buffered);

        var (error, _) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Equal(ForwarderError.None, error);
        Assert.Same(buffered, context.Request.Body);
        Assert.Equal(3, RequestBodyBuffer.LengthOf(context));
        Assert.Equal(0, buffered.Position);
    }

    [Fact]
    public async Task A_caller_whose_body_breaks_gets_request_body_failed()
    {
        var failure = new IOException("connection reset");
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3], failure));

        var (error, exception) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Equal(ForwarderError.RequestBodyFailed, error);
        Assert.Same(failure, exception);
    }

    [Theory]
    [InlineData(StatusCodes.Status413PayloadTooLarge, nameof(ForwarderError.RequestBodyTooLarge))]
    [InlineData(StatusCodes.Status400BadRequest, nameof(ForwarderError.RequestBodyFailed))]
    public async Task A_server_that_refuses_the_callers_body_decides_its_answer(int status, string expected)
    {
        // Kestrel throws BadHttpRequestException for a body over its MaxRequestBodySize (413) or a malformed chunk (400).
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3], new BadHttpRequestException("refused", status)));

        var (error, _) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Equal(expected, error.ToString());
    }

    [Theory]
    [InlineData(StatusCodes.Status413PayloadTooLarge, nameof(ForwarderError.RequestBodyTooLarge))]
    [InlineData(StatusCodes.Status400BadRequest, nameof(ForwarderError.RequestBodyFailed))]
    public async Task A_server_that_refuses_a_body_earlier_middleware_buffered_decides_its_answer_too(int status, string expected)
    {
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3], new BadHttpRequestException("refused", status)));
        context.Request.Body = new FileBufferingReadStream(context.Request.Body, 1024, null, _temp);

        var (error, _) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public async Task A_caller_that_went_away_is_caller_aborted_whatever_the_body_threw()
    {
        using var aborted = new CancellationTokenSource();
        var context = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3], new IOException("reset"), aborted));
        context.RequestAborted = aborted.Token;

        var (error, _) = await new RequestBodyBuffer(_temp).ReadWholeAsync(context, limit: null);

        Assert.Equal(ForwarderError.CallerAborted, error);
    }

    [Fact]
    public async Task A_temporary_file_that_cannot_be_written_is_the_buffers_failure_not_the_callers()
    {
        var missing = Path.Combine(_temp, "missing");
        var context = ContextWith(null, canHaveBody: true, new CallerStream(Bytes(RequestBodyBuffer.MemoryThreshold + 1)));

        var (error, exception) = await new RequestBodyBuffer(missing).ReadWholeAsync(context, limit: null);

        Assert.Equal(ForwarderError.RequestBodyBufferFailed, error);
        Assert.Equal("no such directory", RequestBodyBuffer.CauseOf(exception));
    }

    [Fact]
    public async Task Holding_a_body_whole_answers_the_caller_when_it_cannot()
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", MaxRequestBodySize = 2 };
        var tooLarge = ContextWith(null, canHaveBody: true, new CallerStream([1, 2, 3]));
        var fits = ContextWith(null, canHaveBody: true, new CallerStream([1, 2]));

        using var logs = new CapturingLoggerProvider();

        Assert.False(await new RequestBodyBuffer(_temp).TryHoldWholeAsync(tooLarge, options, logs.CreateLogger("test")));
        Assert.True(await new RequestBodyBuffer(_temp).TryHoldWholeAsync(fits, options, logs.CreateLogger("test")));

        Assert.Equal("RequestBodyTooLarge", Assert.Single(logs.Entries).EventId.Name);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, tooLarge.Response.StatusCode);
        Assert.Equal(StatusCodes.Status200OK, fits.Response.StatusCode);
        Assert.Equal(2, RequestBodyBuffer.LengthOf(fits));
    }

    [Fact]
    public void Temporary_files_go_to_the_directory_given_else_ASP_NET_Cores_choice()
    {
        Assert.Equal(_temp, new RequestBodyBuffer(_temp).Directory);

        // ASPNETCORE_TEMP, set for the process: here the system's temporary directory spelled another way, so that a
        // test buffering a body meanwhile writes where it would anyway.
        var before = Environment.GetEnvironmentVariable("ASPNETCORE_TEMP");
        var spelled = Path.Combine(Path.GetTempPath(), ".");
        try
        {
            Environment.SetEnvironmentVariable("ASPNETCORE_TEMP", spelled);
            Assert.Equal(spelled, new RequestBodyBuffer().Directory);
            Environment.SetEnvironmentVariable("ASPNETCORE_TEMP", null);
            Assert.Equal(Path.GetTempPath(), new RequestBodyBuffer().Directory);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ASPNETCORE_TEMP", before);
        }
    }

    [Theory]
    [InlineData(28, "disk full")] // ENOSPC
    [InlineData(unchecked((int)0x80070070), "disk full")] // ERROR_DISK_FULL
    [InlineData(unchecked((int)0x80070027), "disk full")] // ERROR_HANDLE_DISK_FULL
    [InlineData(5, "I/O error")]
    public void The_cause_of_an_I_O_failure_is_told_in_fixed_words(int hresult, string expected)
        => Assert.Equal(expected, RequestBodyBuffer.CauseOf(new IOException("/secret/path: " + hresult, hresult)));

    [Fact]
    public void The_cause_of_any_other_failure_never_quotes_its_message()
    {
        Assert.Equal("no permission", RequestBodyBuffer.CauseOf(new UnauthorizedAccessException("/secret/path")));
        Assert.Equal("no such directory", RequestBodyBuffer.CauseOf(new DirectoryNotFoundException("/secret/path")));
        Assert.Equal("no exception", RequestBodyBuffer.CauseOf(null));
        Assert.Equal(nameof(InvalidOperationException), RequestBodyBuffer.CauseOf(new InvalidOperationException("/secret/path")));
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static DefaultHttpContext ContextWith(long? contentLength, bool canHaveBody, Stream body)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider(), Response = { Body = new MemoryStream() } };
        context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(canHaveBody));
        context.Request.ContentLength = contentLength;
        context.Request.Body = body;
        return context;
    }

    private static byte[] Bytes(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)i)];

    // A response that runs its OnCompleted callbacks (disposals registered with it among them) when told the request ended.
    private sealed class CompletingResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _completed = [];

        public override void OnCompleted(Func<object, Task> callback, object state) => _completed.Add((callback, state));

        public async Task CompleteAsync()
        {
            foreach (var (callback, state) in _completed)
            {
                await callback(state);
            }
        }
    }

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => canHaveBody;
    }

    // A caller's body as a server gives it: read asynchronously, not seekable, failing with failure once its bytes are
    // read (after cancelling aborted, as a server does when the caller goes away).
    private sealed class CallerStream(byte[] bytes, Exception? failure = null, CancellationTokenSource? aborted = null) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            var count = Math.Min(buffer.Length, bytes.Length - _position);
            if (count == 0 && failure is not null)
            {
                aborted?.Cancel();
                throw failure;
            }

            bytes.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
