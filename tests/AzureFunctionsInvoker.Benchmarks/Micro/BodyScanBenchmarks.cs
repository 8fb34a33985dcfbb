using System.Text;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using BenchmarkDotNet.Attributes;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// The cost of scanning a streamed body for Durable's webhook path, as a ratio to the same copy without it: the 1 MiB
/// download's body copied by <see cref="StreamCopier"/> from the function's stream to the caller's in its 64 KiB reads,
/// with the scan (<c>Scanned</c>) and without (<c>Copy</c>, the baseline), on seven bodies: all zeros (what an earlier
/// version of this benchmark measured alone), random bytes (what the load benchmark's stand-in serves: a '/' every 256
/// bytes, and any byte value as often as another), JSON full of other URLs (a '/' every few bytes), prose-like
/// text in HTML (letters, the bytes a case-insensitive search compares most), escaped JSON (strings with JSON escapes
/// and percent-encoded URLs, the bytes the search for an escaped letter looks at), and four made to be dense in what the
/// search stops at (escaped letters of <c>bletask</c>, whole paths but for one byte, percent signs and backslashes
/// before hex digits, CJK text as System.Text.Json escapes it), the dearest bodies a function, or a caller whose text it reflects, can choose.
/// <c>scan-cost</c> also takes, by name only, bodies made against one anchor or the other (each pair of the literal
/// anchor of 137d251, <c>e</c> and <c>k</c> 4 apart, or of the one before it, <c>b</c> and <c>k</c> 6 apart, at every
/// other byte; <c>%6b</c> over and over, an escaped letter every third byte; such a letter after 182 bytes of path
/// starts or 22 heads of the path, each tried in full). In process the copy is a memory copy,
/// far cheaper than the sockets' copies and HTTP framing of a real download, so the ratio here is an upper bound on
/// the scan's share of a real download's cost.
/// </summary>
[MemoryDiagnoser]
public class BodyScanBenchmarks
{
    private const int Size = 1024 * 1024;

    private readonly DiscardStream _caller = new();
    private byte[] _body = null!;
    private StepTimeout _timeout = null!;

    [Params("zeros", "random", "JSON with URLs", "HTML text", "escaped JSON", "escaped letters", "near misses", "percent signs", "escaped CJK JSON")]
    public string Body { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Body switch
        {
            "zeros" => new byte[Size],
            "random" => RandomBytes(),
            "JSON with URLs" => JsonWithUrls(),
            "escaped JSON" => EscapedJson(),
            "escaped letters" => Repeated("%62%6C%65%74%61%73%6B\\u0062\\u006C\\u0065\\u0074\\u0061\\u0073\\u006B/"),
            "near misses" => Repeated("%2Fruntime\\u002Fwebhooks%252Fdurable%74asx \\/runtime\\/webhooks\\/Xurabletask \\runtime\\webhooks\\durabletasq /runtime/webhooks/durabletas%6G "),
            "escaped CJK JSON" => EscapedCjkJson(),
            "percent signs" => Repeated("100% of 50%, %d %s %4 %5 %6 %7 \\u004 \\u005 \\u006 \\u007 /%/\\/ "),
            "e and k pairs" => Repeated("eeeekkkk"),
            "b and k pairs" => Repeated("bbbbbbkkkkkk"),
            "escaped k" => Repeated("%6b"),
            "escaped k after slashes" => Repeated("/%6b\\u006b"),
            "starts before escaped k" => Repeated(string.Concat(Enumerable.Repeat("\\/", 91)) + "%6b"),
            "path heads before escaped k" => Repeated(string.Concat(Enumerable.Repeat("\\runtime", 22)) + "%6b"),
            "late near misses" => Repeated("\\u002fruntime%2Fwebhooks\\/durabl%65tasq "),
            _ => HtmlText(),
        };
        _timeout = new StepTimeout(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup() => _timeout.Dispose();

    [Benchmark(Baseline = true)]
    public ValueTask<long> Copy() => CopyAsync(scan: false);

    [Benchmark]
    public ValueTask<long> Scanned() => CopyAsync(scan: true);

    private async ValueTask<long> CopyAsync(bool scan)
    {
        var (result, copied, _) = await StreamCopier.CopyToCallerAsync(
            new MemoryStream(_body, writable: false), _caller, _timeout, CancellationToken.None, scan: scan).ConfigureAwait(false);

        // A body the scan cut would time less than the whole copy.
        return result is StreamCopyResult.Success && copied == Size ? copied : throw new InvalidOperationException($"The copy ended {result} after {copied} bytes.");
    }

    // Text made to be dense in what the scan stops at: escaped letters of "bletask", whole paths but for one byte, '%'
    // and '\\' before the digits 4 to 7.
    private static byte[] Repeated(string unit)
    {
        var text = new StringBuilder(Size + unit.Length);
        while (text.Length < Size)
        {
            text.Append(unit);
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, Size));
    }

    // Japanese and Chinese text as System.Text.Json writes it by default, every character escaped ("\\u3042"): an ordinary
    // body in which an escape's last two hex digits name a letter of "bletask" once in about 18 characters.
    private static byte[] EscapedCjkJson()
    {
        var random = new Random(19);
        var text = new StringBuilder(Size + 64).Append("{\"text\":\"");
        while (text.Length < Size - 2)
        {
            var character = random.Next(2) == 0 ? random.Next(0x3041, 0x30FF) : random.Next(0x4E00, 0x9FFF);
            text.Append("\\u").Append(character.ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        }

        text.Length = Size - 2;
        return Encoding.UTF8.GetBytes(text.Append("\"}").ToString());
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[Size];
        new Random(19).NextBytes(bytes);
        return bytes;
    }

    private static byte[] JsonWithUrls() => Encoding.UTF8.GetBytes(
        "[" + string.Join(',', Enumerable.Range(0, Size / 64).Select(i => $$"""{"href":"https://example.com/a/{{i % 10}}/b/c"}""")).PadRight(Size - 2) + "]");

    // As System.Text.Json writes non-ASCII text and HTML-sensitive characters, and as a URL carried in a query is encoded.
    private static byte[] EscapedJson() => Encoding.UTF8.GetBytes(
        "[" + string.Join(',', Enumerable.Range(0, Size / 128).Select(i => $$"""{"name":"Caf\u00E9 \u0026 cr\u00E8me {{i}}","next":"https:\/\/login.example\/?returnUrl=https%3A%2F%2Fshop.example%2Forders%2F{{i % 1000}}%3Fpage%3D{{i % 47}}"}""")).PadRight(Size - 2)[..(Size - 2)] + "]");

    private static byte[] HtmlText()
    {
        // Words of a page about orchestrations (the webhook path's own letters among them), in paragraphs with links.
        string[] words = ["the", "durable", "task", "orchestration", "webhooks", "runtime", "instance", "backlog", "kind",
            "dark", "desk", "status", "query", "and", "of", "to", "a", "is", "with", "for", "docs", "book", "link", "data"];
        var random = new Random(19);
        var text = new StringBuilder(Size + 256);
        while (text.Length < Size)
        {
            text.Append("<p>");
            for (var i = 0; i < 60; i++)
            {
                text.Append(words[random.Next(words.Length)]).Append(i % 12 == 11 ? ". " : " ");
            }

            text.Append("<a href=\"/docs/durable/runtime/task/").Append(random.Next(1000)).Append("\">Durable</a></p>\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, Size));
    }
}
