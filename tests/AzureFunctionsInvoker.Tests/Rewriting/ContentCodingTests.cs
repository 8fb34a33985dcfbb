using AzureFunctionsInvoker.Rewriting;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="ContentCoding"/>: a body is encoded (and so left unread by the rewriters) when its <c>Content-Encoding</c>
/// names any coding but <c>identity</c>, in any case, in any of the header's lines or list items.
/// </summary>
public sealed class ContentCodingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("identity")]
    [InlineData("IDENTITY")]
    [InlineData("identity, Identity")]
    [InlineData(" identity\t")]
    [InlineData(" , ,identity,")]
    public void Identity_or_nothing_is_no_encoding(string value) =>
        Assert.False(ContentCoding.IsEncoded(value));

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("identity, gzip")]
    [InlineData("gzip, identity")]
    [InlineData("identityx")]
    [InlineData("x-identity")]
    public void Any_other_coding_in_the_list_is_an_encoding(string value) =>
        Assert.True(ContentCoding.IsEncoded(value));

    [Fact]
    public void Every_line_of_the_header_counts()
    {
        Assert.True(ContentCoding.IsEncoded(new StringValues(["identity", "deflate"])));
        Assert.False(ContentCoding.IsEncoded(new StringValues(["identity", "IDENTITY"])));
    }

    [Fact]
    public void No_header_is_no_encoding() =>
        Assert.False(ContentCoding.IsEncoded(StringValues.Empty));
}
