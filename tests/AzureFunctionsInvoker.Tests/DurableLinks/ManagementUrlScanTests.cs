using System.Text;
using System.Text.RegularExpressions;
using AzureFunctionsInvoker.DurableLinks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class ManagementUrlScanTests
{
    [Theory]
    [InlineData("https://app.azurewebsites.net/runtime/webhooks/durabletask/instances/x?code=K")]
    [InlineData("HTTPS://APP/RUNTIME/WEBHOOKS/DURABLETASK/instances/x?code=K")]
    [InlineData("""{"u":"https:\/\/app\/runtime\/webhooks\/durabletask\/instances\/x?code=K"}""")]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("""{"u":"https://app/runtime/webhooks/durable\u0074ask/instances/x?code=K"}""")]
    [InlineData("""{"u":"https://app\u002fruntime\u002fwebhooks\u002fdurabletask/instances/x?code=K"}""")]
    [InlineData("https://login.example/?next=https%3A%2F%2Fapp%2Fruntime%2Fwebhooks%2Fdurabletask%2Finstances%2Fx%3Fcode%3DK")]
    [InlineData("https://app/runtime/webhooks/%64urabletask/instances/x?code=K")]
    [InlineData("https://login.example/?next=https%253A%252F%252Fapp%252Fruntime%252Fwebhooks%252Fdurabletask%252Finstances")]
    [InlineData("""{"u":"\u00252Fruntime\u00252Fwebhooks\u00252Fdurabletask"}""")]
    [InlineData("""\u0064\u0055\u0072\u0041\u0062\u004C\u0065\u0054\u0061\u0053\u006b""" + "x" + """/runtime/webhooks/\u0064\u0055\u0072\u0041\u0062\u004C\u0065\u0054\u0061\u0053\u006b""")]
    [InlineData("/runtime/webhooks/%44%55%52%41%42%4C%45%54%41%53%4B")]
    [InlineData("""\/RunTime%2fwebhooks\u002FDuRaBlE%74as\u006b""")]
    [InlineData("""\u002525\u0025252Fruntime%252Fwebhooks\u00252Fdurable%74as\u006B""")]
    public void The_webhook_path_is_found_wherever_the_reads_split_it(string body)
    {
        var bytes = Encoding.UTF8.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz " + body + " tail");
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }

    [Fact]
    public void The_webhook_path_is_found_in_reads_of_one_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("xx https:\\/\\/app\\/runtime\\/webhooks\\/durabletask\\/instances");
        var scan = default(ManagementUrlScan);

        var found = -1;
        for (var i = 0; i < bytes.Length && found < 0; i++)
        {
            found = scan.Finds(bytes.AsSpan(i, 1)) ? i : -1;
        }

        Assert.Equal(Encoding.UTF8.GetString(bytes).IndexOf("durabletask", StringComparison.Ordinal) + "durabletask".Length - 1, found);
    }

    // The scan keeps a read's last bytes only from the first that a spelling can start with ('/', '\\', '%'): text with
    // none of them, or with them well before the path, in reads of every size up to past the longest spelling, the path
    // spelled the longest way, one way with its start escaped, and plainly.
    [Theory]
    [InlineData("""\u002525\u0025252Fruntime%252Fwebhooks\u00252Fdurable%74as\u006B""")]
    [InlineData("""\/RunTime%2fwebhooks\u002FDuRaBlE%74as\u006b""")]
    [InlineData("/runtime/webhooks/durabletask")]
    public void The_webhook_path_is_found_in_reads_of_every_size_after_any_text(string path)
    {
        foreach (var before in new[] { new string('a', 300), string.Concat(Enumerable.Repeat("/a%b\\c ", 40)), "x/" + new string('a', 250) })
        {
            var bytes = Encoding.UTF8.GetBytes(before + path + "/instances?code=K");
            for (var size = 1; size <= 200; size++)
            {
                var scan = default(ManagementUrlScan);
                var found = false;
                for (var at = 0; at < bytes.Length && !found; at += size)
                {
                    found = scan.Finds(bytes.AsSpan(at, Math.Min(size, bytes.Length - at)));
                }

                scan.Release();
                Assert.True(found, $"{before[..2]}..., reads of {size}");
            }
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("\\/RunTime\\/WebHooks\\/DurableTask")]
    [InlineData("/runtime\\/webhooks/durabletask")]
    [InlineData("/runtime/webhooks\\/durabletask")]
    public void The_webhook_path_is_found_at_any_offset_among_other_slashes(string path)
    {
        for (var offset = 0; offset < 140; offset++)
        {
            var text = new StringBuilder();
            while (text.Length < offset)
            {
                text.Append("/a/b//c/");
            }

            text.Length = offset;
            text.Append(path).Append("/x/y/z/").Append('/', 64);
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(text.ToString())), $"offset {offset}");
            Assert.False(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(text.ToString().Replace("webhooks", "webhookz", StringComparison.OrdinalIgnoreCase))), $"offset {offset}");
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/other and /api/runtime/durabletask and runtime/webhooks/durabletask")]
    [InlineData("/runtime/webhooks/durabletas")]
    [InlineData("/runtime//webhooks/durabletask")]
    [InlineData("/runtimewebhooksdurabletask")]
    [InlineData("%2Fruntime%2Fwebhooks%2Fdurabletas")]
    [InlineData("/runtime/webhooks/durabletas%6")]
    [InlineData("/runtime/webhooks/durabletas%6G")]
    [InlineData("/runtime/webhooks/durable%5Cu0074ask")]
    [InlineData("/runtime/webhooks/durable\\u74ask")]
    [InlineData("/runtime/webhooks/durable\\U0074ask")]
    [InlineData("/runtime/webhooks/durable\\u0174ask")]
    [InlineData("/runtime/webhooks/durable%%74ask")]
    [InlineData("/runtime/webhooks/durable%252574ask")] // a slash or letter encoded three times, a letter twice: no encoder
    [InlineData("/runtime/webhooks/durable%2574ask")] // writes a letter encoded, nor a URL in a query in a query in a query
    [InlineData("/runtime/webhooks/durable\\u002574ask")]
    [InlineData("%25252Fruntime/webhooks/durabletask")]
    [InlineData("%2runtime/webhooks/durabletask")]
    [InlineData("%3Fruntime/webhooks/durabletask")]
    [InlineData("\\u002gruntime/webhooks/durabletask")]
    [InlineData("/runtime/webhooks/durable%D4ask")]
    [InlineData("/runtime/webhooks/durable\\u0054\\u0041\\u0053\\u004")]
    public void Other_text_is_not_taken_for_it(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.False(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }
    }

    // What the scan must find, written the plain way: the path with each slash as itself, escaped ("\/"), or a backslash
    // (itself or JSON's "\\"), ASCII letters in either case.
    private static readonly Regex s_webhookPath = new(@"(?:/|\\)runtime(?:\\?/|\\\\?)webhooks(?:\\?/|\\\\?)durabletask", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public static TheoryData<string> Spellings => new()
    {
        "/runtime/webhooks/durabletask",
        "/RUNTIME/WEBHOOKS/DURABLETASK",
        "/runtime\\/webhooks/durableTask",
        "/runtime/webhooks\\/DurableTask",
        "\\/RunTime\\/WebHooks\\/durabletasK",
        "/runtime\\webhooks\\durabletask",
        "\\runtime\\\\webhooks\\durabletask",
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void The_webhook_path_is_found_at_every_offset_across_the_64_byte_blocks_in_random_bytes(string path)
    {
        // The search takes 64 bytes at a time and pairs a 'b' in one block with a 'k' in the next: every offset of the
        // path over three blocks puts each of its letters on each side of a block's edge, and the end of the body.
        var random = new Random(19);
        var needle = Encoding.ASCII.GetBytes(path);
        for (var offset = 0; offset <= 200; offset++)
        {
            foreach (var after in new[] { 0, 1, 5, 63, 64, 100 })
            {
                var bytes = new byte[offset + needle.Length + after];
                random.NextBytes(bytes);
                needle.CopyTo(bytes, offset);

                Assert.True(ManagementUrlScan.Holds(bytes), $"offset {offset}, {after} bytes after");
                bytes[offset + needle.Length - 1] = (byte)'x';
                Assert.Equal(s_webhookPath.IsMatch(Encoding.Latin1.GetString(bytes)), ManagementUrlScan.Holds(bytes));
            }
        }
    }

    [Fact]
    public void Bodies_dense_in_the_letters_it_looks_for_are_judged_as_a_plain_search_judges_them()
    {
        // Bytes drawn from the path's own letters, slashes and escapes, with pieces of the path, some broken: many
        // candidates for the search, some of them the path, at every length around the block size.
        var random = new Random(19);
        var alphabet = "bBkK/\\durabletaskDURABLETASKruntimewebhooks \"\0\u00ff"u8.ToArray();
        string[] pieces = ["/runtime/webhooks/durabletask", "/runtime\\/webhooks\\/durabletask", "/runtime/webhooks/durabletas",
            "/runtime//webhooks/durabletask", "runtime/webhooks/durabletask", "/runtime\\\\/webhooks/durabletask", "/webhooks/durabletask"];
        var found = 0;
        for (var trial = 0; trial < 4000; trial++)
        {
            var body = new List<byte>();
            var length = random.Next(0, 260);
            while (body.Count < length)
            {
                if (random.Next(40) == 0)
                {
                    body.AddRange(Encoding.ASCII.GetBytes(pieces[random.Next(pieces.Length)]));
                }
                else
                {
                    body.Add(alphabet[random.Next(alphabet.Length)]);
                }
            }

            var bytes = body.ToArray();
            var expected = s_webhookPath.IsMatch(Encoding.Latin1.GetString(bytes));
            found += expected ? 1 : 0;
            Assert.True(expected == ManagementUrlScan.Holds(bytes), $"trial {trial}: {Convert.ToHexString(bytes)}");
        }

        // Both answers were put to the test.
        Assert.InRange(found, 100, 3900);
    }

    // Every spelling the scan must find, as a plain search: each character of the path as itself (letters in either
    // case), "\u00" and two hex digits or '%' and two hex digits (hex digits in either case, the letter they mean in
    // either case), and a slash also as "\/" or a backslash (itself, "\\", escaped, percent-encoded), and percent-encoded
    // twice or with its percent sign as "\u0025".
    private static readonly Regex s_spelledPath = new(string.Concat("/runtime/webhooks/durabletask".Select(SpelledCharacter)), RegexOptions.CultureInvariant);

    private static string SpelledCharacter(char c)
    {
        char[] values = char.IsAsciiLetter(c) ? [c, char.ToUpperInvariant(c)] : [c, '\\'];
        var hex = "(?:" + string.Join('|', values.Select(v => $"{v >> 4:X}{HexDigit(v & 0xF)}")) + ")";
        return char.IsAsciiLetter(c)
            ? $@"(?:[{c}{char.ToUpperInvariant(c)}]|\\u00{hex}|%{hex})"
            : $@"(?:/|\\/|\\\\|\\|\\u00{hex}|(?:%|\\u0025)(?:25)?{hex})";

        static string HexDigit(int digit) => digit < 10 ? $"{digit}" : $"[{(char)('a' + digit - 10)}{(char)('A' + digit - 10)}]";
    }

    // One spelling of the path, each character in a form drawn at random.
    private static string RandomSpelling(Random random)
    {
        var spelled = new StringBuilder();
        foreach (var c in "/runtime/webhooks/durabletask")
        {
            var value = char.IsAsciiLetter(c) && random.Next(2) == 0 ? char.ToUpperInvariant(c) : c;
            var hex = random.Next(2) == 0 ? $"{(int)value:X2}" : $"{(int)value:x2}";
            spelled.Append(random.Next(c == '/' ? 8 : 5) switch
            {
                0 => @"\u00" + hex,
                1 => "%" + hex,
                5 => "%25" + hex,
                6 => @"\u0025" + hex,
                7 => random.Next(2) == 0 ? @"\u002525" + hex : @"\/",
                _ => value.ToString(),
            });
        }

        return spelled.ToString();
    }

    [Fact]
    public void Bodies_dense_in_escapes_and_percent_signs_are_judged_as_a_plain_search_for_every_spelling_judges_them()
    {
        // Bytes drawn from the escapes' own characters and the path's letters, with spellings of the path drawn at random,
        // some broken by a byte changed or cut short: many anchors of both kinds, some of them the path. Each body is
        // also read in two reads split at random, as it streams.
        var random = new Random(19);
        var alphabet = "%\\u0025/24567bBkKlLeEtTaAsSfF \"x\0\u00ff"u8.ToArray();
        var found = 0;
        for (var trial = 0; trial < 4000; trial++)
        {
            var body = new List<byte>();
            var length = random.Next(0, 700);
            while (body.Count < length)
            {
                if (random.Next(60) == 0)
                {
                    var piece = Encoding.ASCII.GetBytes(RandomSpelling(random));
                    if (random.Next(2) == 0)
                    {
                        piece = piece[..random.Next(1, piece.Length + 1)];
                        piece[random.Next(piece.Length)] ^= (byte)random.Next(1, 256);
                    }

                    body.AddRange(piece);
                }
                else
                {
                    body.Add(alphabet[random.Next(alphabet.Length)]);
                }
            }

            var bytes = body.ToArray();
            var expected = s_spelledPath.IsMatch(Encoding.Latin1.GetString(bytes));
            found += expected ? 1 : 0;
            Assert.True(expected == ManagementUrlScan.Holds(bytes), $"trial {trial}: {Encoding.Latin1.GetString(bytes)}");
            var split = random.Next(bytes.Length + 1);
            var scan = default(ManagementUrlScan);
            Assert.True(expected == (scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split))), $"trial {trial}, split at {split}");
        }

        // Both answers were put to the test.
        Assert.InRange(found, 400, 3600);
    }

    [Fact]
    public void The_longest_spelling_is_found_wherever_two_reads_split_it_and_whatever_came_before()
    {
        // Each slash as a JSON-escaped percent sign encoded twice, each letter as a JSON escape: 186 bytes, the longest.
        var path = string.Concat("/runtime/webhooks/durabletask".Select(c => c == '/' ? @"\u0025252F" : $@"\u00{(int)c:X2}"));
        Assert.Equal(186, path.Length);
        var bytes = Encoding.ASCII.GetBytes(new string('x', 333) + path + "/instances/x?code=K");
        for (var split = 0; split <= bytes.Length; split++)
        {
            var scan = default(ManagementUrlScan);
            Assert.True(scan.Finds(bytes.AsSpan(0, split)) || scan.Finds(bytes.AsSpan(split)), $"split at {split}");
        }

        // Read a byte at a time, it is found at its last byte, never before.
        var reads = default(ManagementUrlScan);
        var at = 0;
        while (!reads.Finds(bytes.AsSpan(at, 1)))
        {
            at++;
        }

        Assert.Equal(333 + path.Length - 1, at);
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void The_webhook_path_is_found_when_two_long_reads_split_it(string path)
    {
        // Reads of many blocks, split anywhere in the path or around it: the seam of the two reads holds it.
        var random = new Random(19);
        var needle = Encoding.ASCII.GetBytes(path);
        var bytes = new byte[1000];
        random.NextBytes(bytes);
        for (var offset = 470; offset < 480; offset++)
        {
            var body = (byte[])bytes.Clone();
            needle.CopyTo(body, offset);
            for (var split = offset - 40; split <= offset + needle.Length + 40; split++)
            {
                var scan = default(ManagementUrlScan);
                Assert.True(scan.Finds(body.AsSpan(0, split)) || scan.Finds(body.AsSpan(split)), $"offset {offset}, split at {split}");
            }
        }
    }

    [Fact]
    public void A_mebibyte_of_random_bytes_in_64_KiB_reads_passes_and_the_path_at_a_read_edge_does_not()
    {
        // The load benchmark's body: random bytes hold every other letter and slash often, and no path.
        var body = new byte[1024 * 1024];
        new Random(19).NextBytes(body);
        Assert.DoesNotMatch(s_webhookPath, Encoding.Latin1.GetString(body));
        Assert.False(ReadsFind(body));

        "/runtime\\/webhooks/durabletask"u8.CopyTo(body.AsSpan(3 * 65536 - 20));
        Assert.True(ReadsFind(body));

        static bool ReadsFind(byte[] body)
        {
            var scan = default(ManagementUrlScan);
            for (var read = 0; read < body.Length; read += 65536)
            {
                if (scan.Finds(body.AsSpan(read, 65536)))
                {
                    return true;
                }
            }

            return false;
        }
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask")]
    [InlineData("/runtime\\/webhooks\\/durabletask")]
    public void The_webhook_path_is_found_after_any_length_of_text_without_a_slash(string path)
    {
        // The vectorised search skips slash-free stretches: what follows the last one skipped is searched all the same.
        for (var length = 0; length < 200; length++)
        {
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(new string('a', length) + path)), $"after {length} bytes");
            Assert.True(ManagementUrlScan.Holds(Encoding.UTF8.GetBytes(new string('a', length) + path + new string('b', 100))), $"after {length} bytes, before 100");
        }
    }

    [Theory]
    [InlineData("GET", "_durable", true)]
    [InlineData("POST", "_durable", true)]
    [InlineData("HEAD", "_durable", false)] // no body to scan
    [InlineData("GET", "", false)] // Durable links off
    public void A_body_is_scanned_when_Durable_links_are_on_and_it_has_a_body(string method, string linksPath, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;

        Assert.Equal(expected, ManagementUrlScan.Applies(context, new AzureFunctionProxyOptions { DurableLinksPath = linksPath }));
    }

    [Theory]
    [InlineData("https://localhost/runtime/webhooks/durabletask/instances/x?code=K", null, true)]
    [InlineData(null, "https://10.0.0.1/runtime/webhooks/durabletask/instances/x?code=K", true)]
    [InlineData("https://app.example.com/next", "/here", false)]
    [InlineData(null, null, false)]
    public void A_location_or_content_location_left_naming_the_webhook_path_is_found(string? location, string? contentLocation, bool expected)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        if (location is not null)
        {
            // A null value beside it, as a StringValues array may hold, is no value.
            headers.Location = new StringValues([null, location]);
        }

        if (contentLocation is not null)
        {
            headers.ContentLocation = contentLocation;
        }

        Assert.Equal(expected, ManagementUrlScan.LeftInHeaders(headers, new AzureFunctionProxyOptions()));
        Assert.False(ManagementUrlScan.LeftInHeaders(headers, new AzureFunctionProxyOptions { DurableLinksPath = string.Empty }));
    }
}
