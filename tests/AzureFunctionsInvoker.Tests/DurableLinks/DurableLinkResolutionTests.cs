using AzureFunctionsInvoker.DurableLinks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// What a Durable link request resolves to: the management URL its token stands for, an operation only on an
/// instance, and nothing for any other path after the token.
/// </summary>
public sealed class DurableLinkResolutionTests
{
    private const string Origin = "https://myapp.azurewebsites.net:443";
    private const string Hidden = "taskHub=Hub&connection=Storage&code=KEY";

    private readonly DurableLinkProtector _protector = new(new EphemeralDataProtectionProvider(), "Hello", new FakeTimeProvider(DateTimeOffset.UtcNow));

    [Theory]
    [InlineData("entities/counter/x", "terminate")]
    [InlineData("entities/counter/x", "raiseEvent/go")]
    [InlineData("instances", "terminate")]
    [InlineData("instances/", "terminate")]
    [InlineData("instances/abc/history", "terminate")]
    public void An_operation_on_a_link_to_anything_but_one_instance_does_not_resolve(string resource, string operation)
    {
        var token = _protector.Protect(new DurableLink(Origin, resource, Hidden), TimeSpan.FromDays(1));

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}/{operation}", string.Empty, "_durable", _protector, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    [Fact]
    public void A_link_to_an_entity_resolves_without_an_operation()
    {
        var token = _protector.Protect(new DurableLink(Origin, "entities/counter/x", Hidden), TimeSpan.FromDays(1));

        var resolved = DurableLinkRequest.Resolve($"/_durable/{token}", string.Empty, "_durable", _protector, TimeSpan.MaxValue, out var link);

        Assert.Equal("/runtime/webhooks/durabletask/entities/counter/x?" + Hidden, resolved);
        Assert.Equal(Origin, link!.Origin);
    }

    [Theory]
    [InlineData("terminate", "", "/runtime/webhooks/durabletask/instances/abc/terminate?" + Hidden)]
    [InlineData("Terminate", "?reason=done", "/runtime/webhooks/durabletask/instances/abc/terminate?" + Hidden + "&reason=done")]
    [InlineData("raiseEvent/go", "", "/runtime/webhooks/durabletask/instances/abc/raiseEvent/go?" + Hidden)]
    public void An_operation_on_an_instance_link_resolves_after_the_hidden_parameters(string operation, string query, string expected)
    {
        var token = _protector.Protect(new DurableLink(Origin, "instances/abc", Hidden), TimeSpan.FromDays(1));

        Assert.Equal(expected, DurableLinkRequest.Resolve($"/_durable/{token}/{operation}", query, "_durable", _protector, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData("/_durable/x", "_durable", true)]
    [InlineData("/_DURABLE/x", "_durable", true)]
    [InlineData("/_durable/", "_durable", true)]
    [InlineData("/_durable", "_durable", false)]
    [InlineData("/_durablex/y", "_durable", false)]
    [InlineData("/_durabl/xy", "_durable", false)]
    [InlineData("x_durable/y", "_durable", false)]
    [InlineData("/a/_durable/x", "_durable", false)]
    [InlineData("/_durable/x", "", false)]
    [InlineData("//x", "", false)]
    public void A_link_is_a_path_under_the_links_segment(string rest, string linksPath, bool isLink) =>
        Assert.Equal(isLink, DurableLinkRequest.IsLink(rest, linksPath));

    [Theory]
    [InlineData("", "", "/runtime/webhooks/durabletask/instances/abc")]
    [InlineData("", "?showHistory=true&code=MINE", "/runtime/webhooks/durabletask/instances/abc?showHistory=true")]
    [InlineData("taskHub=Hub", "", "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub")]
    [InlineData("taskHub=Hub", "showInput=false", "/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&showInput=false")]
    public void The_query_is_the_hidden_parameters_then_the_callers_allowed_ones_with_a_question_mark_only_when_any(string hidden, string query, string expected)
    {
        var token = _protector.Protect(new DurableLink(Origin, "instances/abc", hidden), TimeSpan.FromDays(1));

        Assert.Equal(expected, DurableLinkRequest.Resolve($"/_durable/{token}", query, "_durable", _protector, TimeSpan.MaxValue, out _));
    }

    [Theory]
    [InlineData("/_durable/")]
    [InlineData("/_durable//terminate")]
    [InlineData("/_durable/not.a.token")]
    [InlineData("/_durable/bm90IGEgdG9rZW4")]
    public void A_path_whose_token_is_missing_or_not_one_of_the_protectors_does_not_resolve(string rest)
    {
        Assert.Null(DurableLinkRequest.Resolve(rest, "?reason=x", "_durable", _protector, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }

    // Base64 and base64url differ in two characters; a decoder that maps '-' to '+' also reads '+' as it is, so only
    // the alphabet check keeps a second spelling of a token from resolving.
    [Fact]
    public void A_token_spelled_in_base64_rather_than_base64url_does_not_resolve()
    {
        var token = Enumerable.Range(0, 200)
            .Select(i => _protector.Protect(new DurableLink(Origin, "instances/abc", Hidden + "&n=" + i), TimeSpan.FromDays(1)))
            .First(t => t.Contains('-', StringComparison.Ordinal));
        Assert.NotNull(DurableLinkRequest.Resolve($"/_durable/{token}", string.Empty, "_durable", _protector, TimeSpan.MaxValue, out _));

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token.Replace('-', '+')}", string.Empty, "_durable", _protector, TimeSpan.MaxValue, out var link));
        Assert.Null(link);
    }
}
