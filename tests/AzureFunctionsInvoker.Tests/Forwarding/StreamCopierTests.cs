using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class StreamCopierTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Copies_a_body_of_several_buffers_whole_from_a_source_that_answers_zero_byte_reads_at_once(bool towardsFunction)
    {
        // A MemoryStream returns 0 to a zero-byte read with its data still unread: that 0 is not the end.
        var body = new byte[(3 * StreamCopier.BufferSize) + 123];
        Pattern.Fill(body, 0);
        var pool = new CountingPool();
        var destination = new MemoryStream();
        using var timeout = new StepTimeout(s_timeout, TimeProvider.System, CancellationToken.None);

        var (result, copied, error) = await Copy(towardsFunction, new MemoryStream(body), destination, timeout, pool);

        Assert.Equal(StreamCopyResult.Success, result);
        Assert.Null(error);
        Assert.Equal(body.Length, copied);
        Assert.Equal(body, destination.ToArray());
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Holds_no_buffer_while_the_source_is_idle(bool towardsFunction)
    {
        var pool = new CountingPool();
        var source = new Pipe();
        var probe = new ReadProbe(source.Reader.AsStream(), pool);
        var destination = new MemoryStream();
        using var timeout = new StepTimeout(s_timeout, TimeProvider.System, CancellationToken.None);

        var copy = Copy(towardsFunction, probe, destination, timeout, pool).AsTask();
        var beforeData = await probe.NextWaitAfterAsync(0);
        await source.Writer.WriteAsync("data: 1\n\n"u8.ToArray());
        var betweenEvents = await probe.NextWaitAfterAsync(9);
        await source.Writer.WriteAsync("data: 2\n\n"u8.ToArray());
        await source.Writer.CompleteAsync();
        var (result, copied, _) = await copy.WaitAsync(s_bound);

        Assert.Equal(new Wait(ZeroByte: true, BuffersHeld: 0), beforeData);
        Assert.Equal(new Wait(ZeroByte: true, BuffersHeld: 0), betweenEvents);
        Assert.Equal(StreamCopyResult.Success, result);
        Assert.Equal(18, copied);
        Assert.Equal("data: 1\n\ndata: 2\n\n"u8.ToArray(), destination.ToArray());
        Assert.True(pool.Rented >= 2, "each event went through a buffer from the pool");
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(true, nameof(StreamCopyResult.SourceFailed))]
    [InlineData(false, nameof(StreamCopyResult.SourceFailed))]
    [InlineData(true, nameof(StreamCopyResult.DestinationFailed))]
    [InlineData(false, nameof(StreamCopyResult.DestinationFailed))]
    public async Task A_side_that_fails_is_reported_as_that_sides_failure(bool towardsFunction, string failingSide)
    {
        var failure = new IOException("reset");
        var expected = Enum.Parse<StreamCopyResult>(failingSide);
        var failing = new FailingStream(failure);
        var pool = new CountingPool();
        using var timeout = new StepTimeout(s_timeout, TimeProvider.System, CancellationToken.None);

        var (result, copied, error) = expected == StreamCopyResult.SourceFailed
            ? await Copy(towardsFunction, failing, new MemoryStream(), timeout, pool)
            : await Copy(towardsFunction, new MemoryStream(new byte[10]), failing, timeout, pool);

        Assert.Equal(expected, result);
        Assert.Same(failure, error);
        Assert.Equal(0, copied);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_caller_that_goes_away_cancels_the_copy(bool towardsFunction)
    {
        using var caller = new CancellationTokenSource();
        using var timeout = new StepTimeout(s_timeout, TimeProvider.System, caller.Token);
        var source = new Pipe();
        var probe = new ReadProbe(source.Reader.AsStream(), new CountingPool());

        var copy = Copy(towardsFunction, probe, new MemoryStream(), timeout, new CountingPool()).AsTask();
        await probe.NextWaitAfterAsync(0);
        await caller.CancelAsync();
        var (result, _, error) = await copy.WaitAsync(s_bound);

        Assert.Equal(StreamCopyResult.Canceled, result);
        Assert.IsAssignableFrom<OperationCanceledException>(error);
    }

    [Theory]
    [InlineData(true)] // the function takes no more of the request body
    [InlineData(false)] // the function sends no more of its response
    public async Task Waiting_on_the_function_for_longer_than_timeout_times_the_copy_out(bool towardsFunction)
    {
        using var timeout = TenSeconds(out var time);
        var function = new IdleSide(isSource: !towardsFunction);

        var copy = Copy(towardsFunction, function.Source, function.Destination, timeout, new CountingPool()).AsTask();
        await function.WaitedOnAsync();
        time.Advance(s_timeout);
        var (result, _, _) = await copy.WaitAsync(s_bound);

        Assert.Equal(StreamCopyResult.TimedOut, result);
    }

    [Theory]
    [InlineData(true)] // the caller sends no more of its body
    [InlineData(false)] // the caller takes no more of the response
    public async Task Waiting_on_the_caller_never_counts_against_the_function(bool towardsFunction)
    {
        using var timeout = TenSeconds(out var time);
        var caller = new IdleSide(isSource: towardsFunction);

        var copy = Copy(towardsFunction, caller.Source, caller.Destination, timeout, new CountingPool()).AsTask();
        await caller.WaitedOnAsync();
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.False(timeout.IsCancellationRequested);
        await caller.ResumeAsync();
        var (result, copied, _) = await copy.WaitAsync(s_bound);

        Assert.Equal(StreamCopyResult.Success, result);
        Assert.Equal(10, copied);
    }

    [Fact]
    public async Task Waits_on_an_idle_response_from_the_function_over_http_without_a_buffer()
    {
        // SocketsHttpHandler's response stream must wait on a zero-byte read, or the read after it holds the buffer.
        await using var function = await StandInFunction.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{function.Port}/api/lockstep-download");
        request.Headers.Add("x-functions-key", function.Key);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var pool = new CountingPool();
        var probe = new ReadProbe(await response.Content.ReadAsStreamAsync(), pool);
        using var timeout = new StepTimeout(s_timeout, TimeProvider.System, CancellationToken.None);

        var copy = StreamCopier.CopyToCallerAsync(probe, new MemoryStream(), timeout, CancellationToken.None, pool).AsTask();
        var idle = await probe.NextWaitAfterAsync(1024);
        function.Proceed.SetResult();
        var (result, copied, _) = await copy.WaitAsync(s_bound);

        Assert.Equal(new Wait(ZeroByte: true, BuffersHeld: 0), idle);
        Assert.Equal(StreamCopyResult.Success, result);
        Assert.Equal(2048, copied);
    }

    [Fact]
    public async Task Waits_on_an_idle_request_body_from_kestrel_without_a_buffer()
    {
        // Kestrel's request body stream must wait on a zero-byte read, or the read after it holds the buffer.
        var pool = new CountingPool();
        var probe = new TaskCompletionSource<ReadProbe>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = LoopbackApp.CreateBuilder(new CapturingLoggerProvider());
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var body = new ReadProbe(context.Request.Body, pool);
            probe.SetResult(body);
            using var timeout = new StepTimeout(s_timeout, TimeProvider.System, context.RequestAborted);
            var (result, copied, _) = await StreamCopier.CopyToFunctionAsync(body, Stream.Null, timeout, timeout.Token, pool);
            await context.Response.WriteAsync($"{result} {copied}");
        });
        await app.StartAsync();
        using var caller = LoopbackApp.Caller(LoopbackApp.Port(app));
        var idle = new TaskCompletionSource<Wait>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new PushContent(async stream =>
        {
            await stream.WriteAsync(new byte[1024]);
            await stream.FlushAsync();
            idle.SetResult(await (await probe.Task.WaitAsync(s_bound)).NextWaitAfterAsync(1024));
            await stream.WriteAsync(new byte[1024]);
        });

        using var response = await caller.PostAsync("/", content).WaitAsync(s_bound);

        Assert.Equal(new Wait(ZeroByte: true, BuffersHeld: 0), await idle.Task);
        Assert.Equal("Success 2048", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, pool.Outstanding);
    }

    private static ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> Copy(bool towardsFunction, Stream source, Stream destination, StepTimeout timeout, ArrayPool<byte> pool) =>
        towardsFunction
            ? StreamCopier.CopyToFunctionAsync(source, destination, timeout, timeout.Token, pool)
            : StreamCopier.CopyToCallerAsync(source, destination, timeout, CancellationToken.None, pool);

    private static StepTimeout TenSeconds(out FakeTimeProvider time)
    {
        time = new FakeTimeProvider();
        return new StepTimeout(s_timeout, time, CancellationToken.None);
    }

    /// <summary>A read the copier had to wait for: whether it was a zero-byte read, and how many buffers it held meanwhile.</summary>
    private sealed record Wait(bool ZeroByte, int BuffersHeld);

    /// <summary>The shared pool, counting the buffers rented and not yet returned.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private int _outstanding;
        private int _rented;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public int Rented => Volatile.Read(ref _rented);

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref _outstanding);
            Interlocked.Increment(ref _rented);
            return Shared.Rent(minimumLength);
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Interlocked.Decrement(ref _outstanding);
            Shared.Return(array, clearArray);
        }
    }

    /// <summary>
    /// A source as the copier sees it, recording each read that did not complete at once (the copier waits on it)
    /// with the bytes read before it and the buffers the copier held when it was issued.
    /// </summary>
    private sealed class ReadProbe(Stream inner, CountingPool pool) : Stream
    {
        private readonly Channel<(long After, Wait Wait)> _waits = Channel.CreateUnbounded<(long, Wait)>();
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// <summary>The first wait once <paramref name="bytes"/> bytes have been read.</summary>
        public async Task<Wait> NextWaitAfterAsync(long bytes)
        {
            using var bound = new CancellationTokenSource(s_bound);
            while (true)
            {
                var (after, wait) = await _waits.Reader.ReadAsync(bound.Token);
                if (after >= bytes)
                {
                    return wait;
                }
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(buffer, cancellationToken);
            if (!read.IsCompleted)
            {
                _waits.Writer.TryWrite((Interlocked.Read(ref _read), new Wait(buffer.IsEmpty, pool.Outstanding)));
            }

            var count = await read;
            Interlocked.Add(ref _read, count);
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// The side of a copy that keeps it waiting: a source with nothing to send yet, or a destination that takes nothing
    /// yet. Resumed, it lets 10 bytes through.
    /// </summary>
    private sealed class IdleSide
    {
        private readonly Pipe? _source;
        private readonly ReadProbe? _probe;
        private readonly StallingStream? _destination;

        public IdleSide(bool isSource)
        {
            if (isSource)
            {
                _source = new Pipe();
                Source = _probe = new ReadProbe(_source.Reader.AsStream(), new CountingPool());
                Destination = new MemoryStream();
            }
            else
            {
                Source = new MemoryStream(new byte[10]);
                Destination = _destination = new StallingStream();
            }
        }

        public Stream Source { get; }

        public Stream Destination { get; }

        /// <summary>Completes once the copy waits on this side.</summary>
        public Task WaitedOnAsync() => _probe?.NextWaitAfterAsync(0) ?? _destination!.WriteStarted.Task.WaitAsync(s_bound);

        public async Task ResumeAsync()
        {
            if (_source is null)
            {
                _destination!.Release.SetResult();
                return;
            }

            await _source.Writer.WriteAsync(new byte[10]);
            await _source.Writer.CompleteAsync();
        }
    }

    /// <summary>A destination whose writes wait until the test releases them (or the write is cancelled).</summary>
    private sealed class StallingStream : Stream
    {
        public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteStarted.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
