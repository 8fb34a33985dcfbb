using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// Line and paragraph separators refused on their own, not only where they would hide a dot segment: a reader that
/// splits lines (a log, a header written from the path) would see two lines where the proxy judged one.
/// </summary>
public sealed class PathSafetySeparatorTests
{
    [Theory]
    [InlineData("/a%E2%80%A8b")] // U+2028 LINE SEPARATOR, decoded
    [InlineData("/a\u2028b")]
    [InlineData("/x/%E2%80%A8")]
    public void A_line_separator_alone_in_a_segment_is_refused(string path) => Assert.False(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/a%E2%80%A9b")] // U+2029 PARAGRAPH SEPARATOR
    [InlineData("/a\u2029b")]
    public void A_paragraph_separator_alone_in_a_segment_is_refused(string path) => Assert.False(PathSafety.IsSafe(path));

    [Theory]
    [InlineData("/a%E2%80%82b")] // U+2002 EN SPACE: white space, not a separator of lines
    [InlineData("/a%E3%80%80b")] // U+3000 IDEOGRAPHIC SPACE
    public void Other_white_space_between_letters_is_kept(string path) => Assert.True(PathSafety.IsSafe(path));
}
