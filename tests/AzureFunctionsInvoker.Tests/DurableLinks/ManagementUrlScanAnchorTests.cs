using System.Text;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The scan's vector search of a block, called directly: it must mark exactly the anchors of the documented rule, byte by
/// byte, on random blocks, blocks dense in the anchors' bytes, every spelling of a letter of <c>bletask</c> at every
/// offset of a block, and pairs that no spelling holds. The search is written once, for Vector512, which the runtime
/// splits into halves or quarters on hardware without it: running these tests with <c>DOTNET_EnableAVX512=0</c>, and also
/// <c>DOTNET_EnableAVX2=0</c>, checks those paths.
/// </summary>
public sealed class ManagementUrlScanAnchorTests
{
    // The anchors look back 4 bytes; the block is read 64 bytes from its start.
    private const int Before = 4;
    private const int Block = 64;

    [Fact]
    public void The_search_marks_the_rule_s_anchors_in_random_bytes()
    {
        var random = new Random(19);
        var buffer = new byte[Before + Block];
        for (var round = 0; round < 20_000; round++)
        {
            random.NextBytes(buffer);
            Assert.Equal(Expected(buffer), Anchors(buffer));
        }
    }

    [Fact]
    public void The_search_marks_the_rule_s_anchors_in_bytes_dense_in_them()
    {
        // Every byte a pair or the check after it looks at, with its neighbours, so each term of the rule is true and
        // false many times in each block.
        var alphabet = Encoding.Latin1.GetBytes("eEkKfFjJ%$&'#(\\]^_[`0123456789:uUbBaAsStT/ \u00e5\u00cb\u00c5\u00a5");
        var random = new Random(20);
        var buffer = new byte[Before + Block];
        var marked = 0;
        for (var round = 0; round < 20_000; round++)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = alphabet[random.Next(alphabet.Length)];
            }

            var expected = Expected(buffer);
            Assert.Equal(expected, Anchors(buffer));
            marked += ulong.PopCount(expected) > 0 ? 1 : 0;
        }

        // The blocks held anchors and blocks without them alike.
        Assert.InRange(marked, 2_000, 18_000);
    }

    [Fact]
    public void The_search_marks_every_spelling_of_a_letter_of_bletask_at_every_offset()
    {
        string[] spellings =
        [
            "bletask", "BLETASK", "bLeTaSk", "%62", "%4C", "%6c", "%45", "%74", "%41", "%73", "%4B", "%6b",
            "\\u0062", "\\u004C", "\\u006c", "\\u0045", "\\u0074", "\\u0041", "\\u0073", "\\u004B", "\\u006b",
        ];
        foreach (var spelling in spellings)
        {
            var bytes = Encoding.ASCII.GetBytes(spelling);

            // The anchor: the 'k' of "bletask", or the escape's first hex digit; the spelling may start in the 4 bytes
            // before the block, and end past it.
            var anchor = spelling.StartsWith('%') ? 1 : spelling.StartsWith('\\') ? 4 : bytes.Length - 1;
            for (var at = Math.Max(-Before, -anchor); at + anchor < Block; at++)
            {
                var buffer = new byte[Before + Block];
                Array.Fill(buffer, (byte)'x');
                bytes.AsSpan(0, Math.Min(bytes.Length, buffer.Length - Before - at)).CopyTo(buffer.AsSpan(Before + at));
                var anchors = Anchors(buffer);
                Assert.True((anchors & (1UL << (at + anchor))) != 0, $"{spelling} at {at}");
                Assert.Equal(Expected(buffer), anchors);
            }
        }
    }

    [Fact]
    public void The_search_drops_the_pairs_no_spelling_holds()
    {
        // Each holds a pair ('$', '&' or '\'' before a digit 4 to 7, or '\\', ']', '^' or '_' 4 before one) that no
        // spelling of a letter of "bletask" holds: no '%' before the digit, no "00" (CJK text as System.Text.Json escapes
        // it, "\u3042", is the common case).
        string[] texts = ["\\u3042", "\\u0u45", "\\u1045", "$4", "&7", "'5", "_xx06", "]xx04", "^0u07"];
        foreach (var text in texts)
        {
            for (var at = 0; at + text.Length <= Block; at++)
            {
                var buffer = new byte[Before + Block];
                Array.Fill(buffer, (byte)' ');
                Encoding.ASCII.GetBytes(text).CopyTo(buffer.AsSpan(Before + at));
                Assert.True(Enumerable.Range(0, Block).Any(i => Rule(buffer, Before + i).Pair), $"{text} at {at}");
                Assert.Equal(0UL, Anchors(buffer));
            }
        }
    }

    private static ulong Anchors(byte[] buffer) => ManagementUrlScan.Anchors(ref buffer[Before]);

    // The rule, byte by byte: an 'e' 4 bytes before a 'k' (either case), or a digit 4 to 7 one byte after '$' to '\''
    // or four after '\\' to '_'; kept where the byte is a 'k', or the one before it a '%', or the two before it OR to '0'.
    private static ulong Expected(byte[] buffer)
    {
        ulong anchors = 0;
        for (var i = 0; i < Block; i++)
        {
            var (pair, kept) = Rule(buffer, Before + i);
            anchors |= pair && kept ? 1UL << i : 0;
        }

        return anchors;
    }

    private static (bool Pair, bool Kept) Rule(byte[] buffer, int at)
    {
        var (b0, b1, b2, b4) = (buffer[at], buffer[at - 1], buffer[at - 2], buffer[at - 4]);
        var digit = b0 is >= (byte)'4' and <= (byte)'7';
        var k = b0 is (byte)'k' or (byte)'K';
        var pair = (b4 is (byte)'e' or (byte)'E' && k)
            || (b1 is >= (byte)'$' and <= (byte)'\'' && digit)
            || (b4 is >= (byte)'\\' and <= (byte)'_' && digit);
        return (pair, k || b1 == (byte)'%' || (b1 | b2) == (byte)'0');
    }
}
