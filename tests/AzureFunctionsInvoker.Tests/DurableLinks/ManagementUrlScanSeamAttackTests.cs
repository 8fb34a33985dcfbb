using System.Text;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// Probes of the seam between reads from the side of a body that wants the path through: each kind of spelling after
/// text with and without the bytes a spelling starts with (<c>/</c>, <c>\</c>, <c>%</c>), which decide what the scan
/// keeps of a read, in reads of every size from 1 to 300 bytes and in reads that shrink, grow or alternate around the
/// 185 bytes kept, so that the kept bytes are cut, shifted and dropped at every place (adversarial review of 137d251 and
/// of 069333f's keeping from the first such byte).
/// </summary>
public sealed class ManagementUrlScanSeamAttackTests
{
    private static readonly string[] s_paths =
    [
        "/runtime/webhooks/durabletask",
        """\u0025252Fruntime\u00252Fwebhooks%252F%64%75%72%61%62%6c%65%74%61%73%6b""",
        """\\runtime\\webhooks\\durable\u0074ask""",
        """%5Cruntime%255Cwebhooks\u005Cdurabletas%6B""",
        """\/RUNTIME\/WEBHOOKS\/\u0064\u0075\u0072\u0061\u0062\u006C\u0065\u0074\u0061\u0073\u006B""",
    ];

    public static TheoryData<string> Paths => new(s_paths);

    // Text before the path: none, without a byte a spelling starts with (short and longer than what is kept), with them
    // (one, many, all of what is kept), and with them only farther back than what is kept.
    private static readonly string[] s_befores =
    [
        "", "x", "plain text with no start bytes at all ", new string('x', 300), "%", "/", "\\", "a/b%c\\d ",
        new string('/', 300), "%%%%%%%%%" + new string('y', 190),
    ];

    private static readonly int[][] s_readPatterns =
    [
        [250, 100, 50, 20, 7, 3, 1], [1, 3, 7, 20, 50, 100, 250], [190, 1, 190, 2, 190], [184, 1, 1, 1], [186, 185, 184],
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_path_split_by_reads_of_any_size_after_any_text_is_found(string path)
    {
        foreach (var before in s_befores)
        {
            foreach (var after in new[] { string.Empty, "?code=K", new string('z', 200) })
            {
                var body = Encoding.ASCII.GetBytes(before + path + after);
                for (var size = 1; size <= 300; size++)
                {
                    Assert.True(FoundInReads(body, [size]), $"reads of {size} after {before.Length} bytes ('{before[..Math.Min(12, before.Length)]}')");
                }

                foreach (var pattern in s_readPatterns)
                {
                    Assert.True(FoundInReads(body, pattern), $"reads of {string.Join(',', pattern)} after {before.Length} bytes ('{before[..Math.Min(12, before.Length)]}')");
                }
            }
        }
    }

    [Fact]
    public void Paths_split_in_scans_interleaved_with_each_other_are_each_found()
    {
        // Four responses at a time, their reads of 1 to 40 bytes interleaved, each holding a path after slashes.
        var random = new Random(8);
        for (var round = 0; round < 5_000; round++)
        {
            var scans = new ManagementUrlScan[4];
            var bodies = Enumerable.Range(0, 4).Select(_ => Encoding.ASCII.GetBytes(new string('/', random.Next(0, 50)) + s_paths[random.Next(s_paths.Length)] + "?code=K")).ToArray();
            var at = new int[4];
            var found = new bool[4];
            while (Enumerable.Range(0, 4).Any(i => !found[i] && at[i] < bodies[i].Length))
            {
                var i = random.Next(4);
                if (found[i] || at[i] >= bodies[i].Length)
                {
                    continue;
                }

                var length = Math.Min(1 + random.Next(40), bodies[i].Length - at[i]);
                found[i] = scans[i].Finds(bodies[i].AsSpan(at[i], length));
                at[i] += length;
            }

            Assert.True(found.All(f => f), $"round {round}");
        }
    }

    private static bool FoundInReads(byte[] body, int[] pattern)
    {
        var scan = default(ManagementUrlScan);
        for (int at = 0, read = 0; at < body.Length; read++)
        {
            var length = Math.Min(pattern[read % pattern.Length], body.Length - at);
            if (scan.Finds(body.AsSpan(at, length)))
            {
                return true;
            }

            at += length;
        }

        return false;
    }
}
