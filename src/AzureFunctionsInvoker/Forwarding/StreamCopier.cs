using System.Buffers;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Copies a body from one side of an exchange to the other, both ways: the caller's request body to the function
/// and the function's response body to the caller. It says why it stopped as a <see cref="StreamCopyResult"/>, decided
/// where the failure happened, instead of leaving its callers to guess from tokens afterwards, and it holds no buffer
/// while the source has nothing to send, so an idle stream (an event stream between events) costs no 64 KiB.
/// </summary>
internal static class StreamCopier
{
    /// <summary>The size of the pooled buffer a chunk is copied through, as YARP measured best for a forwarder.</summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>
    /// Copies the caller's body to the function's request stream, flushing each chunk so the function gets what the
    /// caller sent at once. <paramref name="timeout"/> is paused while waiting on the caller and runs while writing.
    /// </summary>
    public static ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> CopyToFunctionAsync(
        Stream caller, Stream function, StepTimeout timeout, CancellationToken cancellationToken, ArrayPool<byte>? pool = null) =>
        CopyAsync(caller, function, timeout, towardsFunction: true, pool ?? ArrayPool<byte>.Shared, cancellationToken);

    /// <summary>
    /// Copies the function's body to the caller. <paramref name="timeout"/> runs while waiting on the function (and
    /// cancels those reads) and is paused while writing to the caller, whose writes end only when
    /// <paramref name="callerAborted"/> does. With <paramref name="scan"/> (<see cref="ManagementUrlScan"/>), a read that
    /// holds Durable's webhook path is not written: the copy stops there, as if the function's body had failed, so its key never reaches the caller.
    /// </summary>
    public static ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> CopyToCallerAsync(
        Stream function, Stream caller, StepTimeout timeout, CancellationToken callerAborted, ArrayPool<byte>? pool = null, bool scan = false) =>
        CopyAsync(function, caller, timeout, towardsFunction: false, pool ?? ArrayPool<byte>.Shared, callerAborted, scan);

    // Reads wait on writeCancellation towards the function (the caller's abort, whose body they read) and on the timeout
    // towards the caller (the function's body): one token fewer kept in the frame of every open stream.
    private static async ValueTask<(StreamCopyResult Result, long Copied, Exception? Error)> CopyAsync(
        Stream source, Stream destination, StepTimeout timeout, bool towardsFunction, ArrayPool<byte> pool, CancellationToken writeCancellation, bool scan = false)
    {
        byte[]? buffer = null;
        var scanner = default(ManagementUrlScan);
        long copied = 0;
        var reading = true;
        try
        {
            while (true)
            {
                int read;
                WaitingOnSource(timeout, towardsFunction);
                try
                {
                    // Waits for data before taking a buffer. A source that cannot wait this way returns 0 at once and
                    // the read below waits instead, so only that read's 0 (for a non-empty buffer) ends the body.
                    await source.ReadAsync(Memory<byte>.Empty, towardsFunction ? writeCancellation : timeout.Token).ConfigureAwait(false);
                    buffer = pool.Rent(BufferSize);
                    read = await source.ReadAsync(buffer, towardsFunction ? writeCancellation : timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    DoneWithSource(timeout, towardsFunction);
                }

                if (read == 0)
                {
                    return (StreamCopyResult.Success, copied, null);
                }

                if (scan && scanner.Finds(buffer.AsSpan(0, read)))
                {
                    return (StreamCopyResult.SourceFailed, copied, new InvalidDataException(
                        "The function's response body names a Durable Task management URL the proxy does not rewrite there: it is cut before it, as its key could follow."));
                }

                reading = false;
                await destination.WriteAsync(buffer.AsMemory(0, read), writeCancellation).ConfigureAwait(false);
                if (towardsFunction)
                {
                    // HttpClient's request stream would otherwise hold back what the caller sent until its buffer fills.
                    // Awaited as a ValueTask, so that it shares the write's awaiter in the frame.
                    await new ValueTask(destination.FlushAsync(writeCancellation)).ConfigureAwait(false);
                }

                copied += read;
                reading = true;

                // Back to the pool before the next wait, so the buffer is not held while the source is idle.
                var written = buffer;
                buffer = null;
                pool.Return(written);
            }
        }
        catch (Exception e)
        {
            var result = timeout.HasExpired ? StreamCopyResult.TimedOut
                : timeout.IsCancellationRequested ? StreamCopyResult.Canceled
                : reading ? StreamCopyResult.SourceFailed
                : StreamCopyResult.DestinationFailed;
            return (result, copied, e);
        }
        finally
        {
            if (buffer is not null)
            {
                pool.Return(buffer);
            }

            scanner.Release();
        }
    }

    // The timeout bounds waits on the function only: reads of its body, or writes of the caller's body to it.
    private static void WaitingOnSource(StepTimeout timeout, bool towardsFunction)
    {
        if (towardsFunction)
        {
            timeout.Pause();
        }
        else
        {
            timeout.Restart();
        }
    }

    private static void DoneWithSource(StepTimeout timeout, bool towardsFunction)
    {
        if (towardsFunction)
        {
            timeout.Restart();
        }
        else
        {
            timeout.Pause();
        }
    }
}
