using System.Text;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// Probes of the streamed scan from the side of a function (or a caller whose input it reflects) that wants the key out:
/// spellings mixing every escape the scan knows, split over three reads whose middle one is shorter than what the scan
/// keeps, and text that merely looks like the path's escapes (many percent signs, "durabletask" named) that must pass.
/// </summary>
public sealed class ManagementUrlScanAttackTests
{
    // Each character of the path in a spelling of its own, the longest ones among them, hex digits in both cases.
    public static TheoryData<string> MixedSpellings => new()
    {
        """\u0025252Fr\u0055%6Et\u0069%4De\u00252Fw\u0065%62%48o\u006fks%252F\u0064u%72\u0061bl\u0065t%41s\u006B""",
        """\u002f\u0072\u0075\u006e\u0074\u0069\u006d\u0065\u002f\u0077\u0065\u0062\u0068\u006f\u006f\u006b\u0073\u002f\u0064\u0075\u0072\u0061\u0062\u006c\u0065\u0074\u0061\u0073\u006b""",
        """%2f%72%75%6e%74%69%6d%65%2f%77%65%62%68%6f%6f%6b%73%2f%64%75%72%61%62%6c%65%74%61%73%6b""",
        """\/RUNTIME\/WEBHOOKS\/DURABLETAS%4b""",
        """\u00252fruntime\u00252fwebhooks\u00252fdurabletask""",
    };

    [Theory]
    [MemberData(nameof(MixedSpellings))]
    public void A_mixed_spelling_is_found_over_three_reads_whose_middle_one_is_short(string path)
    {
        // The kept tail of the first read is carried through a middle read of one to eight bytes into the third.
        var bytes = Encoding.UTF8.GetBytes("{\"u\":\"https://app.example" + path + "/instances/x?code=SYSTEMKEY\"}");
        var end = Encoding.UTF8.GetString(bytes).IndexOf("/instances", StringComparison.Ordinal);
        for (var first = 0; first < end; first++)
        {
            for (var middle = 1; middle <= 8 && first + middle <= end; middle++)
            {
                var scan = default(ManagementUrlScan);
                var found = scan.Finds(bytes.AsSpan(0, first)) || scan.Finds(bytes.AsSpan(first, middle))
                    || scan.Finds(bytes.AsSpan(first + middle, end - first - middle));
                Assert.True(found, $"reads of {first}, {middle} and the rest");
            }
        }
    }

    [Theory]
    [MemberData(nameof(MixedSpellings))]
    public void A_mixed_spelling_is_found_before_its_query_in_reads_of_one_byte(string path)
    {
        var bytes = Encoding.UTF8.GetBytes("0123456789 " + path + "/instances/x?code=SYSTEMKEY");
        var query = Encoding.UTF8.GetString(bytes).IndexOf('?', StringComparison.Ordinal);
        var scan = default(ManagementUrlScan);
        var at = 0;
        while (at < bytes.Length && !scan.Finds(bytes.AsSpan(at, 1)))
        {
            at++;
        }

        Assert.True(at < query, $"found at {at}, the query at {query}");
    }

    // Ordinary text full of what the scan stops at (percent signs before the digits 4 to 7, backslashes before "u00",
    // "durabletask" named, slashes): none of it names the webhook path, and none is cut.
    [Theory]
    [InlineData("Progress: 45% 55% 65% 75% of %4 %5 %6 %7 done; 100%%; printf(\"%64s %72d\")")]
    [InlineData("""{"note":"\u0041\u0042 \u0064urable task, durabletask, DurableTask hub \\u0074 %64 %75"}""")]
    [InlineData("SELECT * FROM t WHERE name LIKE '%durable%task%' OR path LIKE '%/runtime/%webhooks%'")]
    [InlineData("/runtime/webhooks/ durabletask /runtime/durabletask /webhooks/durabletask runtime/webhooks/durabletask")]
    [InlineData("%2Fruntime%2Fwebhooks%2Fdurable %2Fruntime%2Fwebhooks%2F%2Fdurabletask %2Fruntime%2Fwebhook%2Fdurabletask")]
    [InlineData("""\u002Fruntime\u002Fwebhooks\u002Ddurabletask \u002Fruntime\u002Fwebhooks\u002F\u0064urablet\u0061s""")]
    public void Text_full_of_percent_signs_escapes_and_the_words_of_the_path_is_not_cut(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(text + "\n", 50)));
        for (var split = 0; split <= 300; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.False(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }
}
