using System.Net;
using System.Runtime.ExceptionServices;
using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The caller's request body as the forwarded request's content: copied from the caller's stream to the
/// function's connection at send time by <see cref="StreamCopier"/>, so memory stays bounded whatever the size.
/// Its length is never computed: a known <c>Content-Length</c> is copied as a header, otherwise the body goes chunked.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly Stream _source;
    private readonly StepTimeout _timeout;
    private int _started;

    public StreamingRequestContent(Stream source, StepTimeout timeout)
    {
        _source = source;
        _timeout = timeout;
    }

    /// <summary>The exception reading the caller's body threw, to tell a caller's fault from the function's.</summary>
    public Exception? CallerFailure { get; private set; }

    /// <summary>
    /// Whether sending the body failed part way on the function's side (its connection reset, or it stopped reading
    /// for <c>Timeout</c>): a body the caller chose, which a backend's limit may refuse that way.
    /// </summary>
    public bool Interrupted { get; private set; }

    /// <summary>
    /// Called as the body starts to go out: from then on how long the request takes is its caller's choice. Failover
    /// hands back a half-open circuit's trial here, since a body dripped for hours would keep every other request from
    /// trying the backend.
    /// </summary>
    public Action? Started { get; init; }

    /// <summary>Whether something tried to send this content a second time (a retrying handler).</summary>
    public bool ResendRefused { get; private set; }

    /// <summary>
    /// Makes sure no byte of the caller's body is ever read for this content: true when none was (the body can go to
    /// another backend), false when sending it had started.
    /// </summary>
    public bool TryAbandon() => Interlocked.Exchange(ref _started, 1) == 0;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            ResendRefused = true;
            throw new InvalidOperationException(
                "The caller's request body streams through once and was already sent: a request with a body cannot be retried.");
        }

        Started?.Invoke();

        // Middleware earlier in the pipeline may have read a buffered body already.
        if (_source.CanSeek && _source.Position != 0)
        {
            _source.Position = 0;
        }

        var (result, copied, error) = await StreamCopier.CopyToFunctionAsync(_source, stream, _timeout, cancellationToken).ConfigureAwait(false);
        if (result == StreamCopyResult.Success)
        {
            ThrowIfShort(copied);
            return;
        }

        if (result == StreamCopyResult.SourceFailed)
        {
            CallerFailure = error;
        }

        Interrupted = result is StreamCopyResult.DestinationFailed or StreamCopyResult.TimedOut;

        // The transport fails the request with it, and the forwarder tells whose fault it was.
        ExceptionDispatchInfo.Throw(error!);
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
