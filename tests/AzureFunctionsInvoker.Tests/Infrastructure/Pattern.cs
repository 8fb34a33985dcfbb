using System.Security.Cryptography;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Deterministic body bytes made on the fly, so large transfers can be checked end to end by length and
/// SHA-256 without holding the body in memory on either side.
/// </summary>
public static class Pattern
{
    public static void Fill(Span<byte> destination, long offset)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)((offset + i) % 251);
        }
    }

    public static string Sha256(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        for (long done = 0; done < length;)
        {
            var count = (int)Math.Min(buffer.Length, length - done);
            Fill(buffer.AsSpan(0, count), done);
            hash.AppendData(buffer, 0, count);
            done += count;
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>A read-only stream of <paramref name="length"/> pattern bytes.</summary>
    public static Stream Stream(long length) => new PatternStream(length);

    private sealed class PatternStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - _position);
            Fill(buffer[..count], _position);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
