using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Rewriting;

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

        Assert.Null(DurableLinkRequest.Resolve($"/_durable/{token}/{operation}", string.Empty, "_durable", _protector, out var link));
        Assert.Null(link);
    }

    [Fact]
    public void A_link_to_an_entity_resolves_without_an_operation()
    {
        var token = _protector.Protect(new DurableLink(Origin, "entities/counter/x", Hidden), TimeSpan.FromDays(1));

        var resolved = DurableLinkRequest.Resolve($"/_durable/{token}", string.Empty, "_durable", _protector, out var link);

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

        Assert.Equal(expected, DurableLinkRequest.Resolve($"/_durable/{token}/{operation}", query, "_durable", _protector, out _));
    }
}
