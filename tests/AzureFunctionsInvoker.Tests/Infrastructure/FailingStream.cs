namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>A stream whose every read and write fails with the given exception, as a reset connection's would.</summary>
public sealed class FailingStream(Exception failure) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException<int>(failure);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException(failure);
    public override int Read(byte[] buffer, int offset, int count) => throw failure;
    public override void Write(byte[] buffer, int offset, int count) => throw failure;
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
