using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// The edges of what <see cref="PathSafety"/> ignores or refuses: the first and last code point of each range of
/// default-ignorable characters next to dots, each slash look-alike, and escapes that stay escapes once decoded.
/// </summary>
public sealed class PathSafetyBoundaryTests
{
    [Theory]
    [InlineData("/..%E1%A0%8B")] // U+180B, first Mongolian free variation selector
    [InlineData("/..%E1%A0%8F")] // U+180F, last
    [InlineData("/..%EF%B8%80")] // U+FE00, first variation selector
    [InlineData("/..%F3%A0%84%80")] // U+E0100, first variation selector supplement
    [InlineData("/..%F3%A0%87%AF")] // U+E01EF, last
    [InlineData("/..%E1%85%9F")] // U+115F, Hangul choseong filler
    [InlineData("/..%E1%85%A0")] // U+1160, Hangul jungseong filler
    [InlineData("/..%E1%9E%B4")] // U+17B4, Khmer inherent vowel
    [InlineData("/..%E1%9E%B5")] // U+17B5
    [InlineData("/..%EF%BE%A0")] // U+FFA0, halfwidth Hangul filler
    public void Dots_with_a_default_ignorable_character_at_the_edge_of_its_range_are_refused(string path) =>
        Assert.False(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/a%E1%A0%8Ab")] // U+180A, just before the Mongolian selectors: a letter-like mark, kept beside letters
    [InlineData("/a%E1%A0%8B.")] // an ignorable beside a letter is no dot segment
    public void Characters_next_to_those_ranges_or_beside_letters_are_kept(string path) => Assert.True(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/a%E2%88%96b")] // U+2216 SET MINUS
    [InlineData("/a%E2%A7%B5b")] // U+29F5 REVERSE SOLIDUS OPERATOR
    [InlineData("/a%E2%A7%B8b")] // U+29F8 BIG SOLIDUS
    [InlineData("/a%E2%A7%B9b")] // U+29F9 BIG REVERSE SOLIDUS
    public void Every_slash_look_alike_is_refused(string path) => Assert.False(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/%20")]
    [InlineData("/a/%20/b")]
    [InlineData("/%25az")]
    [InlineData("/%25za")]
    [InlineData("/%25a")]
    [InlineData("/a%25")]
    public void White_space_alone_and_a_percent_sign_that_starts_no_escape_are_kept(string path) => Assert.True(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/%25%32%65%25%32%65")] // %2e%2e once decoded, .. twice
    [InlineData("/x%25C0%25AE")] // an overlong escape once decoded
    public void Escapes_and_code_units_that_do_not_settle_into_text_are_refused(string path) => Assert.False(PathSafety.IsSafe(path));

    // Built at run time: a lone surrogate in an attribute's string does not survive the test runner's serialisation.
    [Fact]
    public void A_lone_surrogate_cannot_be_normalised_and_is_refused() =>
        Assert.False(PathSafety.IsSafe(string.Concat("/a", ((char)0xD800).ToString(), "b")));

    [Theory]
    [InlineData("/..%E1%A0%90")] // U+1810, the Mongolian digit after the selectors
    [InlineData("/..%F3%B0%80%80")] // U+F0000, private use, past the variation selectors supplement
    public void Dots_with_a_character_just_past_an_ignorable_range_are_no_dot_segment(string path) => Assert.True(PathSafety.IsSafe(path));

    // "%" then "25" k-1 times then "41" decodes to "A" in k passes; the k+1st sees it settle. Eight passes in all.
    [Theory]
    [InlineData(1, true)]
    [InlineData(7, true)]
    [InlineData(8, false)]
    [InlineData(9, false)]
    public void A_segment_that_needs_more_than_seven_decodings_to_settle_is_refused(int decodings, bool safe) =>
        Assert.Equal(safe, PathSafety.IsSafe("/%" + string.Concat(Enumerable.Repeat("25", decodings - 1)) + "41"));
}
