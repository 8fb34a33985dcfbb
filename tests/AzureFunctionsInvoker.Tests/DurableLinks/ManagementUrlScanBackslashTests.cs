using System.Text;
using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// Probes of the scan's backslash spellings of a slash (raw, JSON's "\\", "%5C", "\u005C" and their doubly encoded forms),
/// mixed in every slash position of the path and split at every byte, and backslash-rich text that must pass.
/// </summary>
public sealed class ManagementUrlScanBackslashTests
{
    // Every spelling of a slash the scan knows, backslash ones in both hex cases.
    private static readonly string[] s_slashes =
    [
        "/", """\/""", """\\""", """\""", "%2F", "%2f", "%5C", "%5c", "%252F", "%255C", "%255c",
        """\u002F""", """\u005C""", """\u005c""", """\u00252F""", """\u00255C""", """\u0025255c""",
    ];

    private static string Path(string first, string second, string third) =>
        first + "runtime" + second + "webhooks" + third + "durabletask";

    [Fact]
    public void Every_combination_of_slash_spellings_is_found_whole()
    {
        foreach (var first in s_slashes)
        {
            foreach (var second in s_slashes)
            {
                foreach (var third in s_slashes)
                {
                    var path = Path(first, second, third);
                    var bytes = Encoding.UTF8.GetBytes("{\"u\":\"https://app.example" + path + "\\instances\\x?code=KEY\"}");
                    Assert.True(ManagementUrlScan.Holds(bytes), path);
                }
            }
        }
    }

    [Fact]
    public void Each_slash_spelling_in_every_position_is_found_when_split_at_every_byte()
    {
        foreach (var slash in s_slashes)
        {
            var path = Path(slash, slash, slash);
            var bytes = Encoding.UTF8.GetBytes("prefix text https://app.example" + path + "\\instances\\x?code=KEY");
            var end = Encoding.UTF8.GetString(bytes).IndexOf('?', StringComparison.Ordinal);
            for (var split = 0; split <= end; split++)
            {
                var scan = default(ManagementUrlScan);
                Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split, end - split)), $"{path} split at {split}");
            }
        }
    }

    // A spelling that starts with bytes another spelling of a slash also starts with: the scan starts over at each later
    // backslash or percent sign, so a backslash before the path's first slash does not hide it, and a raw backslash before
    // a percent-encoded or JSON-escaped letter is read as a slash of its own.
    [Theory]
    [InlineData("""\\\/runtime\/webhooks\/durabletask""")]
    [InlineData("""\\\\runtime\\webhooks\\durabletask""")]
    [InlineData("""\\\u002Fruntime/webhooks/durabletask""")]
    [InlineData("""\%72untime\%77ebhooks\%64urabletask""")]
    [InlineData("""\\\u0072untime\\\u0077ebhooks\\\u0064urabletask""")]
    [InlineData("""%5C%72untime%5c%57EBHOOKS%255Cdurable%74ask""")]
    [InlineData("""\u005C\u0072untime\u005c\u0077ebhooks\u00255C\u0064urablet\u0061sk""")]
    [InlineData("""\\RUNTIME\WebHooks\\DurableTask""")]
    public void A_backslash_before_another_spelling_does_not_hide_the_path(string path)
    {
        var bytes = Encoding.UTF8.GetBytes("x https://app.example" + path + "\\instances\\x?code=KEY");
        var end = Encoding.UTF8.GetString(bytes).IndexOf('?', StringComparison.Ordinal);
        for (var split = 0; split <= end; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split, end - split)), $"split at {split}");
        }
    }

    // A Windows path, JSON or regex that spells the webhook path with backslashes is cut: a browser reads it as the URL.
    [Theory]
    [InlineData("""C:\runtime\webhooks\durabletask\instances""")]
    [InlineData("""{"p":"C:\\runtime\\webhooks\\durabletask"}""")]
    [InlineData("""new Regex(@"\/runtime\/webhooks\/durabletask")""")]
    public void Backslashes_that_spell_the_path_are_found(string text) =>
        Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(text)));

    // Backslash-rich text that does not spell the path: Windows and UNC paths near its words, JSON with escaped
    // backslashes, regexes with character classes, escapes that are not a slash.
    [Theory]
    [InlineData("""C:\Program Files\runtime\webhook\durabletask D:\runtime\webhooks\durable\task \\server\runtime\webhooks""")]
    [InlineData("""{"p":"C:\\Users\\runtime\\\\webhooks\\durabletask","q":"\\\\server\\\\runtime\\\\webhooks\\\\durabletask"}""")]
    [InlineData("""var re = /[\\/]runtime[\\/]webhooks[\\/]durabletask/; var s = "\\runtime\t\\webhooks\n\\durabletask";""")]
    [InlineData("""\u005Bruntime\u005Dwebhooks\u005Ddurabletask \u002Eruntime\u002Fwebhooks\u002Fdurabletask %5Druntime%5Cwebhooks%5Cdurabletask""")]
    [InlineData("""\u0072untime\u0077ebhooks\u0064urabletask \runtime\\u005Cwebhooks\durabletask %5runtime%5Cwebhooks%5Cdurabletask""")]
    [InlineData("""\\u0072untime\\webhooks\\durabletask \\\/runtime\\\/webhooks\\\/durabletas""")]
    public void Backslash_text_that_does_not_spell_the_path_is_not_cut(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(text + "\n", 20)));
        for (var split = 0; split <= 260; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.False(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }
}
