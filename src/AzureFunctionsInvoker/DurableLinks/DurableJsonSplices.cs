using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// The splices <see cref="DurableJson.Rewrite"/> finds in one body and the links that replace them, each a JSON string
/// written straight into one buffer: both buffers are rented for the response and returned by <see cref="Dispose"/>, so
/// a rewritten body leaves no garbage per URL behind, and none of it is held while a slow caller reads. The links'
/// buffer is rented when the first link is written, <c>capacity</c> bytes (or more) at first.
/// </summary>
internal sealed class DurableJsonSplices(int capacity = 0) : IBufferWriter<byte>, IDisposable
{
    private DurableJsonSplice[] _splices = [];
    private byte[] _links = [];
    private int _linksLength;

    /// <summary>How many splices there are.</summary>
    public int Count { get; private set; }

    /// <summary>The splices, in the order of the body.</summary>
    public ReadOnlySpan<DurableJsonSplice> Splices => _splices.AsSpan(0, Count);

    /// <summary>The JSON string, quotes included, that replaces <paramref name="splice"/>'s bytes.</summary>
    public ReadOnlySpan<byte> Replacement(in DurableJsonSplice splice) => _links.AsSpan(splice.LinkStart, splice.LinkLength);

    /// <summary>Opens a link: what is written from now on is its text, raw, until <see cref="EndLink"/> or <see cref="DiscardLink"/>.</summary>
    public int BeginLink()
    {
        GetSpan(1)[0] = (byte)'"';
        Advance(1);
        return _linksLength - 1;
    }

    /// <summary>
    /// Closes the link opened at <paramref name="start"/> as a JSON string and returns its length, quotes included. The
    /// default encoder's escapes are kept (<c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, <c>'</c>, <c>"</c>, <c>+</c>, non-ASCII):
    /// a link's query, which a caller can write through an orchestration's input, never comes out as raw HTML however
    /// the function had escaped it. A link with nothing to escape (most: a token is base64url) is taken as written.
    /// </summary>
    public int EndLink(int start)
    {
        var text = _links.AsSpan((start + 1)..(_linksLength));
        if (JavaScriptEncoder.Default.FindFirstCharacterToEncodeUtf8(text) >= 0)
        {
            var encoded = JsonEncodedText.Encode(text, JavaScriptEncoder.Default).EncodedUtf8Bytes;
            _linksLength = start + 1;
            encoded.CopyTo(GetSpan(encoded.Length));
            Advance(encoded.Length);
        }

        GetSpan(1)[0] = (byte)'"';
        Advance(1);
        return _linksLength - start;
    }

    /// <summary>Forgets the link opened at <paramref name="start"/>.</summary>
    public void DiscardLink(int start) => _linksLength = start;

    /// <summary>Adds the splice of the string from <paramref name="start"/> to <paramref name="end"/>: the link at <paramref name="linkStart"/>, <paramref name="linkLength"/> bytes.</summary>
    public void Add(int start, int end, int linkStart, int linkLength)
    {
        if (Count == _splices.Length)
        {
            _splices = Grow(_splices, Math.Max(16, 2 * Count), Count);
        }

        _splices[Count++] = new DurableJsonSplice(start, end, linkStart, linkLength);
    }

    /// <inheritdoc/>
    public void Advance(int count) => _linksLength += count;

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _links.AsMemory(_linksLength);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _links.AsSpan(_linksLength);
    }

    /// <summary>Returns the buffers to the pool.</summary>
    public void Dispose()
    {
        Return(_splices);
        Return(_links);
        _splices = [];
        _links = [];
        _linksLength = Count = 0;
    }

    private void Reserve(int sizeHint)
    {
        var needed = _linksLength + Math.Max(sizeHint, 1);
        if (needed > _links.Length)
        {
            _links = Grow(_links, Math.Max(needed, Math.Max(Math.Max(capacity, 256), 2 * _links.Length)), _linksLength);
        }
    }

    private static T[] Grow<T>(T[] array, int length, int used)
    {
        var grown = ArrayPool<T>.Shared.Rent(length);
        array.AsSpan(0, used).CopyTo(grown);
        Return(array);
        return grown;
    }

    private static void Return<T>(T[] array)
    {
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }
}
