using System.Text;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// Probes of the scan's anchors (<c>e</c> and <c>k</c> 4 bytes apart; a digit 4 to 7 after <c>%</c> or <c>\u00</c>) from
/// the side of a body that wants the path through: the path whose one escaped letter of <c>bletask</c> is the only
/// anchor it holds, or whose <c>bletask</c> is written as itself in every mix of cases while all else is escaped, at
/// every offset of a 64-byte block and read in reads of every size that moves it across a block's or a read's edge,
/// among bytes that are themselves anchors or their leads' neighbours (adversarial review of 137d251).
/// </summary>
public sealed class ManagementUrlScanAnchorAttackTests
{
    private const string Bletask = "bletask";

    // What surrounds the path: bytes the anchors and the checks after them look at, so that a false anchor stands next to
    // the true one, and a lead's neighbour ('$', '\'', ']', '_') or an escaped '%' or '\\' just before it.
    private static readonly string[] s_fills = ["e", "K", "%6", "\\u00", "$6'7]xx4_", "\\u0025\\u005C", "eEeE kKkK", "\0"];

    private static readonly int[] s_readSizes = [1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 127, 128, 129, 200];

    // The path with "bletask" written as itself but for its letter at 'escaped', written as the escape's lead and the
    // letter's two hex digits, in the letter's case and the digits' case given.
    public static TheoryData<int, string, bool, bool> OneEscapedLetter()
    {
        var data = new TheoryData<int, string, bool, bool>();
        for (var escaped = 0; escaped < Bletask.Length; escaped++)
        {
            foreach (var lead in new[] { "%", "\\u00" })
            {
                data.Add(escaped, lead, false, false);
                data.Add(escaped, lead, true, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OneEscapedLetter))]
    public void A_path_whose_one_anchor_is_an_escaped_letter_of_bletask_is_found_wherever_it_falls(int escaped, string lead, bool upperLetter, bool upperDigits)
    {
        var letter = upperLetter ? char.ToUpperInvariant(Bletask[escaped]) : Bletask[escaped];
        var hex = ((int)letter).ToString(upperDigits ? "X2" : "x2", System.Globalization.CultureInfo.InvariantCulture);
        var path = "/runtime/webhooks/dura" + Bletask[..escaped] + lead + hex + Bletask[(escaped + 1)..];
        AssertFoundEverywhere(path);
    }

    [Fact]
    public void A_path_whose_bletask_is_written_as_itself_in_any_mix_of_cases_is_found_wherever_it_falls()
    {
        // Its 'e' and 'k' 4 apart, in whatever case, are its only anchor: the other letters are written as themselves
        // (an escaped letter would be an anchor of its own, and "runtime", "webhooks", "dura" hold no 'e' 4 before a 'k'),
        // the slashes escaped with a first digit 2.
        for (var cases = 0; cases < 1 << Bletask.Length; cases++)
        {
            var bletask = string.Concat(Bletask.Select((c, i) => (cases & (1 << i)) != 0 ? char.ToUpperInvariant(c) : c));
            AssertFoundEverywhere("\\u002Fruntime%2fwebhooks\\/dura" + bletask, offsets: cases % 8 == 0 ? 70 : 3);
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("\\runtime\\webhooks\\DURABLETASK")]
    [InlineData("\\\\runtime\\\\webhooks\\\\durable\\u0074ask")]
    [InlineData("%5Cruntime%255Cwebhooks\\u005Cdurabletas%6B")]
    [InlineData("\\u0025252Fruntime\\u00252Fwebhooks%252F%64%75%72%61%62%6c%65%74%61%73%6b")]
    [InlineData("\\/runtime\\/webhooks\\/\\u0064\\u0075\\u0072\\u0061\\u0062\\u006C\\u0065\\u0074\\u0061\\u0073\\u006B")]
    public void A_path_among_false_anchors_is_found_wherever_it_falls(string path) => AssertFoundEverywhere(path);

    [Theory]
    [InlineData("/runtime/webhooks/durabletas$6B")]
    [InlineData("/runtime/webhooks/durabletas'6b")]
    [InlineData("/runtime/webhooks/durabletas]u006B")]
    [InlineData("/runtime/webhooks/durabletas_u006b")]
    [InlineData("/runtime/webhooks/durabletas\\u306B")]
    [InlineData("/runtime/webhooks/durabletas\\u0u6B")]
    [InlineData("/runtime/webhooks/durablet%4?sk")]
    [InlineData("/runtime/webhooks/durablEtasX")]
    public void A_path_missing_its_last_letters_by_a_lead_s_neighbour_passes_wherever_it_falls(string text)
    {
        // Each holds an anchor's pair, but no spelling of the path: the checks after the search must drop it.
        foreach (var fill in new[] { "x", " " })
        {
            for (var offset = 0; offset < 70; offset++)
            {
                var body = Body(fill, offset, text);
                Assert.False(ManagementUrlScan.Holds(body), $"{text} at {offset}");
            }
        }
    }

    private static void AssertFoundEverywhere(string path, int offsets = 70)
    {
        foreach (var fill in s_fills)
        {
            for (var offset = 0; offset < offsets; offset++)
            {
                // Before the path, a block or two of the fill, so it starts at every offset of a block and of the first one.
                var body = Body(fill, offset + (offset % 3 * 64), path);
                Assert.True(ManagementUrlScan.Holds(body), $"{path} after {body.Length - path.Length} bytes of '{fill}'");
                foreach (var size in s_readSizes)
                {
                    var scan = default(ManagementUrlScan);
                    var found = false;
                    for (var at = 0; at < body.Length && !found; at += size)
                    {
                        found = scan.Finds(body.AsSpan(at, Math.Min(size, body.Length - at)));
                    }

                    Assert.True(found, $"{path} after {body.Length - path.Length} bytes of '{fill}', in reads of {size}");
                }
            }
        }
    }

    // The fill repeated to 'before' bytes, the text, and 40 more bytes of the fill (the query the key would be in).
    private static byte[] Body(string fill, int before, string text)
    {
        var filler = new StringBuilder();
        while (filler.Length < before + 40)
        {
            filler.Append(fill);
        }

        var fillBytes = Encoding.Latin1.GetBytes(filler.ToString());
        return [.. fillBytes.AsSpan(0, before), .. Encoding.ASCII.GetBytes(text), .. fillBytes.AsSpan(0, 40)];
    }
}
