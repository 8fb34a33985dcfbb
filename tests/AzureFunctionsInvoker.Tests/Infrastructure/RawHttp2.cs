using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// HTTP/2 with prior knowledge written by hand, for a <c>:path</c> no HttpClient will send (spaces, controls, raw
/// UTF-8): one GET per connection, headers as HPACK literals without Huffman coding.
/// </summary>
public static class RawHttp2
{
    private const byte Headers = 0x1;
    private const byte RstStream = 0x3;
    private const byte Settings = 0x4;
    private const byte GoAway = 0x7;

    /// <summary>
    /// Sends a GET of <paramref name="path"/> (its UTF-8 bytes as they are) and returns the response's status, or
    /// <see langword="null"/> when the server reset the stream or the connection instead of answering.
    /// </summary>
    public static async Task<int?> GetStatusAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = client.GetStream();

        var block = new MemoryStream();
        Literal(block, ":method", "GET");
        Literal(block, ":scheme", "http");
        Literal(block, ":authority", $"127.0.0.1:{port}");
        Literal(block, ":path", path);
        var request = new MemoryStream();
        request.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        Frame(request, Settings, 0, 0, []);
        Frame(request, Headers, 0x4 | 0x1, 1, block.ToArray()); // END_HEADERS | END_STREAM
        await stream.WriteAsync(request.ToArray());

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[9];
        while (true)
        {
            try
            {
                await stream.ReadExactlyAsync(header, bound.Token);
            }
            catch (EndOfStreamException)
            {
                return null;
            }

            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var type = header[3];
            var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, bound.Token);
            if (streamId == 1 && type == Headers)
            {
                return Status(payload);
            }

            if ((streamId == 1 && type == RstStream) || type == GoAway)
            {
                return null;
            }
        }
    }

    // Kestrel sends :status first: an indexed static entry (200, 204, 206, 304, 400, 404, 500) or a literal value
    // after the static name index 8.
    private static int Status(byte[] block)
    {
        if ((block[0] & 0x80) != 0)
        {
            return (block[0] & 0x7f) switch
            {
                8 => 200,
                9 => 204,
                10 => 206,
                11 => 304,
                12 => 400,
                13 => 404,
                14 => 500,
                var index => throw new InvalidOperationException($"Unexpected indexed :status {index}."),
            };
        }

        var valueLength = block[1] & 0x7f;
        return int.Parse(Encoding.ASCII.GetString(block, 2, valueLength), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Literal(MemoryStream block, string name, string value)
    {
        block.WriteByte(0); // literal without indexing, new name
        String(block, Encoding.UTF8.GetBytes(name));
        String(block, Encoding.UTF8.GetBytes(value));
    }

    private static void String(MemoryStream block, byte[] bytes)
    {
        // A 7-bit prefixed length (RFC 7541 5.1), no Huffman coding.
        var length = bytes.Length;
        if (length < 127)
        {
            block.WriteByte((byte)length);
        }
        else
        {
            block.WriteByte(127);
            for (length -= 127; length >= 128; length >>= 7)
            {
                block.WriteByte((byte)((length & 0x7f) | 0x80));
            }

            block.WriteByte((byte)length);
        }

        block.Write(bytes);
    }

    private static void Frame(MemoryStream output, byte type, byte flags, int streamId, byte[] payload)
    {
        output.WriteByte((byte)(payload.Length >> 16));
        output.WriteByte((byte)(payload.Length >> 8));
        output.WriteByte((byte)payload.Length);
        output.WriteByte(type);
        output.WriteByte(flags);
        Span<byte> id = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(id, streamId);
        output.Write(id);
        output.Write(payload);
    }
}
