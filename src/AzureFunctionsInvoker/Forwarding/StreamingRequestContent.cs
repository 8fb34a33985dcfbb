using System.Buffers;
using System.Net;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The caller's request body as the forwarded request's content: copied from the caller's stream to the
/// function's connection at send time, one pooled buffer at a time, so memory stays bounded whatever the size.
/// Its length is never computed: a known <c>Content-Length</c> is copied as a header, otherwise the body goes chunked.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private const int BufferSize = 64 * 1024;

    private readonly Stream _source;
    private readonly StepTimeout _timeout;
    private bool _started;

    public StreamingRequestContent(Stream source, StepTimeout timeout)
    {
        _source = source;
        _timeout = timeout;
    }

    /// <summary>The exception reading the caller's body threw, to tell a caller's fault from the function's.</summary>
    public Exception? CallerFailure { get; private set; }

    /// <summary>Whether something tried to send this content a second time (a retrying handler).</summary>
    public bool ResendRefused { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_started)
        {
            ResendRefused = true;
            throw new InvalidOperationException(
                "The caller's request body streams through once and was already sent: a request with a body cannot be retried.");
        }

        _started = true;

        // Middleware earlier in the pipeline may have read a buffered body already.
        if (_source.CanSeek && _source.Position != 0)
        {
            _source.Position = 0;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long copied = 0;
            while (true)
            {
                _timeout.Pause();
                int read;
                try
                {
                    read = await _source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    CallerFailure = e;
                    throw;
                }
                finally
                {
                    _timeout.Restart();
                }

                if (read == 0)
                {
                    ThrowIfShort(copied);
                    return;
                }

                copied += read;
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);

                // What the caller sent is sent on at once, not held back until a transport buffer fills.
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Kestrel reports a caller's truncated body itself; a shorter stream means the app consumed the body earlier.
    private void ThrowIfShort(long copied)
    {
        if (Headers.ContentLength is long declared && copied != declared)
        {
            CallerFailure = new IOException(
                $"The request body ended after {copied} of {declared} bytes: middleware earlier in the pipeline read it without EnableBuffering().");
            throw CallerFailure;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
