using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// <see cref="RequestBodyFraming.ContentLength"/>: a request body sent without a length (HTTP/1.1 chunked, HTTP/2
/// without <c>content-length</c>) is read whole before anything goes to the function, so that it can go with a
/// <c>Content-Length</c>, which Azure Functions' out-of-process workers need (a chunked body reaches them empty). It is
/// held by ASP.NET Core's own <see cref="FileBufferingReadStream"/>, the stream of <c>EnableBuffering()</c>: in memory up
/// to <see cref="MemoryThreshold"/>, then in a temporary file that is deleted when the request ends, however it ends
/// (the stream is registered for disposal with the response, as <c>EnableBuffering()</c> registers it). A body that
/// earlier middleware buffered is read to its end the same way.
/// </summary>
/// <param name="directory">Where temporary files go; <see langword="null"/> for ASP.NET Core's own choice (<c>ASPNETCORE_TEMP</c>, else the system's temporary directory).</param>
internal sealed class RequestBodyBuffer(string? directory = null)
{
    /// <summary>What a body may take in memory before it goes to a temporary file: one copy buffer's worth.</summary>
    public const int MemoryThreshold = StreamCopier.BufferSize;

    /// <summary>The directory temporary files are written to.</summary>
    public string Directory => directory ?? Environment.GetEnvironmentVariable("ASPNETCORE_TEMP") ?? Path.GetTempPath();

    /// <summary>Whether the request has a body of no known length that is not yet held whole.</summary>
    public static bool IsNeeded(HttpContext context)
    {
        var request = context.Request;
        return request.ContentLength is null
            && (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.Headers.ContainsKey("Transfer-Encoding"))
            && (request.Body is FileBufferingReadStream || !request.Body.CanSeek);
    }

    /// <summary>Whether <paramref name="options"/> frame bodies with a length (<see cref="RequestBodyFraming.ContentLength"/>) and the request has a body of no known length not yet held whole.</summary>
    public static bool IsNeeded(HttpContext context, AzureFunctionProxyOptions options) =>
        options.RequestBodyFraming == RequestBodyFraming.ContentLength && IsNeeded(context);

    /// <summary>The length of a body this buffer held whole, for its <c>Content-Length</c>; <see langword="null"/> for any other body.</summary>
    public static long? LengthOf(HttpContext context) =>
        context.Request.ContentLength is null && context.Request.Body is FileBufferingReadStream buffered ? buffered.Length : null;

    /// <summary>
    /// Reads the caller's body whole into the buffer, refusing it once it is larger than <paramref name="limit"/>
    /// bytes. Returns <see cref="ForwarderError.None"/> with the body rewound, or why it could not be held: the
    /// caller's fault (too large, malformed, gone) or the temporary file's (<see cref="ForwarderError.RequestBodyBufferFailed"/>).
    /// </summary>
    public async ValueTask<(ForwarderError Error, Exception? Exception)> ReadWholeAsync(HttpContext context, long? limit)
    {
        var request = context.Request;
        CallerBody? caller = null;
        if (request.Body is not FileBufferingReadStream buffered)
        {
            caller = new CallerBody(request.Body);
            buffered = new FileBufferingReadStream(caller, MemoryThreshold, bufferLimit: null, () => Directory);
            request.Body = buffered;
            context.Response.RegisterForDispose(buffered);
        }

        var scratch = ArrayPool<byte>.Shared.Rent(StreamCopier.BufferSize);
        try
        {
            while (await buffered.ReadAsync(scratch, context.RequestAborted).ConfigureAwait(false) > 0)
            {
                if (buffered.Length > limit)
                {
                    return (ForwarderError.RequestBodyTooLarge, null);
                }
            }

            buffered.Position = 0;
            return (ForwarderError.None, null);
        }
        catch (Exception e)
        {
            var callerFailure = caller is null ? e as BadHttpRequestException : caller.Failure;
            var error = context.RequestAborted.IsCancellationRequested ? ForwarderError.CallerAborted
                : callerFailure is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } ? ForwarderError.RequestBodyTooLarge
                : callerFailure is not null ? ForwarderError.RequestBodyFailed
                : ForwarderError.RequestBodyBufferFailed;
            return (error, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Reads the caller's body whole (<see cref="ReadWholeAsync"/>) up to <paramref name="options"/>'
    /// <c>MaxRequestBodySize</c>. Returns <see langword="true"/> when it is held and the request may be forwarded, or
    /// <see langword="false"/> when it could not be and the caller was answered (413, 400, 503) and the failure logged.
    /// </summary>
    public async ValueTask<bool> TryHoldWholeAsync(HttpContext context, AzureFunctionProxyOptions options, ILogger logger)
    {
        var (error, exception) = await ReadWholeAsync(context, options.MaxRequestBodySize).ConfigureAwait(false);
        if (error == ForwarderError.None)
        {
            return true;
        }

        ForwarderErrors.Report(logger, error, new(options, context.Request.Method, Exception: exception));
        await ForwarderErrorResponse.WriteAfterForwardAsync(context, error).ConfigureAwait(false);
        return false;
    }

    /// <summary>Why a temporary file could not be written, in fixed words (a log line's <c>Cause</c>), never the exception's message.</summary>
    public static string CauseOf(Exception? exception) => exception switch
    {
        UnauthorizedAccessException => "no permission",
        DirectoryNotFoundException => "no such directory",
        // ENOSPC on Unix; ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.
        IOException { HResult: 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) } => "disk full",
        IOException => "I/O error",
        null => "no exception",
        _ => exception.GetType().Name,
    };

    // The caller's side of the buffering stream, which records what failed there: an IOException from the buffering
    // stream is the caller's (a reset, a malformed chunk) or the temporary file's (disk full), and only this tells them apart.
    private sealed class CallerBody(Stream inner) : Stream
    {
        public Exception? Failure { get; private set; }

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
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Failure = e;
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The caller's body is read asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
