using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="PathSafety.NamesFirstSegment"/>: every spelling of the Durable links segment a lenient server could read as it is the
/// segment (so the proxy answers it and never forwards it with the key), and nothing else is. Over sockets:
/// Integration/DurableLinkSegmentSpellingTests and the app mount's function-name tests.
/// </summary>
public sealed class PathSafetyFirstSegmentTests
{
    [Theory]
    [InlineData("/_durable/token")]
    [InlineData("/_durable")]
    [InlineData("_durable")]
    [InlineData("//_durable/token")]
    [InlineData("/_DURABLE/token")]
    [InlineData("/_durable;x/token")] // ';' parameters dropped (Tomcat, Jetty)
    [InlineData("/_durable./token")] // trailing dots trimmed (IIS)
    [InlineData("/_durable.;x")]
    [InlineData("/%5Fdurable/token")]
    [InlineData("/_durabl%65")]
    [InlineData("/%255Fdurable")] // two layers
    [InlineData("/%EF%BC%BFdurable")] // fullwidth low line, NFKC '_'
    [InlineData("/\uff3fdurable")]
    [InlineData("/_durable%E3%80%82")] // ideographic full stop, a trailing dot
    [InlineData("/_durable%EF%B8%8F")] // variation selector
    [InlineData("/_%CD%8Fdurable")] // combining grapheme joiner
    [InlineData("/_durable%E3%85%A4")] // Hangul filler
    [InlineData("/_durable%20")]
    [InlineData("/%5Fdur%20able")] // white space is ignored wherever it stands
    [InlineData("/%2F_durable/token")] // a decoded slash before it
    [InlineData("/_durable%2Ftoken")] // cut at a decoded slash
    [InlineData("/%5Fdurable;x")]
    [InlineData("/%5Fdurable%3Bx")] // a decoded ';'
    public void Every_spelling_a_lenient_server_reads_as_the_segment_names_it(string path)
        => Assert.True(PathSafety.NamesFirstSegment(path, "_durable"));

    [Theory]
    [InlineData("/orders/_durable")]
    [InlineData("/_durablex")]
    [InlineData("/x_durable")]
    [InlineData("/_dur;able")]
    [InlineData("/_dur%E3%80%82able")] // an ideographic full stop inside is a dot, not nothing
    [InlineData("/_dur%C0%AEable")] // overlong UTF-8: undecodable, so no name
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/%20")]
    public void Anything_else_does_not(string path)
        => Assert.False(PathSafety.NamesFirstSegment(path, "_durable"));

    [Theory]
    [InlineData("/links.v1/token", true)]
    [InlineData("/links%E3%80%82v1/token", true)] // an ideographic full stop reads as the name's dot
    [InlineData("/links%EF%BC%8Ev1", true)] // a fullwidth full stop, NFKC '.'
    [InlineData("/linksv1", false)]
    public void A_name_with_a_dot_is_named_by_every_dot_a_reader_sees(string path, bool expected)
        => Assert.Equal(expected, PathSafety.NamesFirstSegment(path, "links.v1"));
}
