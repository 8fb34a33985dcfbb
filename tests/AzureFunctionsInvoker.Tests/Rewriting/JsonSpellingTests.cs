using System.Text;
using AzureFunctionsInvoker.Rewriting;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="JsonSpelling"/>: whether the bytes of a body that does not parse as JSON could still spell a word to a
/// lenient reader: any case, every JSON escape resolved wherever it stands, invalid UTF-8 replaced. A false answer must
/// mean no reading of the body holds the word, so each spelling a reader would accept must answer true.
/// </summary>
public sealed class JsonSpellingTests
{
    private const string Word = "durabletask";

    [Theory]
    [InlineData("{\"statusQueryGetUri\":\"https://x/runtime/webhooks/durabletask/instances/1\"")]
    [InlineData("DURABLETASK")]
    [InlineData("\\u0064urabletask")]
    [InlineData("dur\\u0061bletask")]
    [InlineData("durabl\\u0065\\u0074ask")]
    [InlineData("\\u0044URABLETASK")]
    [InlineData("\\ud800durabletask")]
    [InlineData("d\\urabletask")]
    [InlineData("{\"a\":\"durabletask\"")]
    public void Finds_the_word_however_it_is_spelled(string body) =>
        Assert.True(JsonSpelling.MayHold(Encoding.UTF8.GetBytes(body), Word));

    [Theory]
    [InlineData("")]
    [InlineData("durable task")]
    [InlineData("durable\\ntask")]
    [InlineData("\\u0064urable-task")]
    [InlineData("durabletas")]
    [InlineData("trailing backslash\\")]
    [InlineData("\\u00")]
    public void Answers_false_only_when_no_reading_holds_the_word(string body) =>
        Assert.False(JsonSpelling.MayHold(Encoding.UTF8.GetBytes(body), Word));

    [Fact]
    public void Invalid_utf8_around_the_word_does_not_hide_it()
    {
        byte[] body = [0xFF, 0xC3, .. Encoding.UTF8.GetBytes("durabletask"), 0x80];

        Assert.True(JsonSpelling.MayHold(body, Word));
    }

    [Fact]
    public void An_escaped_slash_is_a_slash() =>
        Assert.True(JsonSpelling.MayHold(Encoding.UTF8.GetBytes("runtime\\/webhooks"), "runtime/webhooks"));
}
