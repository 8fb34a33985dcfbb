using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Response buffering as middleware earlier in an app's pipeline may install it (a body rewriter, a cache): what the
/// endpoint writes is held until the endpoint returns, unless it calls <see cref="DisableBuffering"/>, after which
/// what was held and everything after it goes straight to the caller.
/// </summary>
public sealed class BufferingResponseBody(IHttpResponseBodyFeature inner) : Stream, IHttpResponseBodyFeature
{
    private MemoryStream? _held = new();
    private bool _release;
    private PipeWriter? _writer;

    /// <summary>Puts a <see cref="BufferingResponseBody"/> in front of the server's for the rest of the pipeline.</summary>
    public static IApplicationBuilder Use(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var body = new BufferingResponseBody(context.Features.Get<IHttpResponseBodyFeature>()!);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        await next(context);
        body.DisableBuffering();
        await body.FlushAsync(CancellationToken.None);
    });

    Stream IHttpResponseBodyFeature.Stream => this;

    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void DisableBuffering() => _release = true;

    public Task StartAsync(CancellationToken cancellationToken = default) =>
        _held is null ? inner.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        _release = true;
        await FlushAsync();
        await inner.CompleteAsync();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await ReleaseHeldAsync(cancellationToken);
        if (_held is null)
        {
            await inner.Stream.WriteAsync(buffer, cancellationToken);
        }
        else
        {
            _held.Write(buffer.Span);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // A flush while buffering is what buffering exists to absorb.
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await ReleaseHeldAsync(cancellationToken);
        if (_held is null)
        {
            await inner.Stream.FlushAsync(cancellationToken);
        }
    }

    public override void Flush() => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task ReleaseHeldAsync(CancellationToken cancellationToken)
    {
        if (_release && _held is { } held)
        {
            _held = null;
            await inner.Stream.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
        }
    }
}
