using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// <see cref="DurableLink"/>: what a token holds. Operations apply to one orchestration instance only, so a resource is
/// an instance only when it is exactly <c>instances/{id}</c>; and the origin is written in full, port included, so two
/// spellings of one origin are one origin.
/// </summary>
public sealed class DurableLinkTests
{
    [Theory]
    [InlineData("instances/abc", true)]
    [InlineData("INSTANCES/abc", true)]
    [InlineData("instances/a%2Fb", true)]
    [InlineData("instances/", false)]
    [InlineData("instances", false)]
    [InlineData("instances/abc/raiseEvent/x", false)]
    [InlineData("instances/abc/", false)]
    [InlineData("entities/counter/x", false)]
    [InlineData("entities/counter/x/terminate", false)]
    [InlineData("orchestrators/hello", false)]
    public void Only_one_instance_is_an_instance(string resource, bool expected) =>
        Assert.Equal(expected, new DurableLink("https://myapp.azurewebsites.net:443", resource, string.Empty).IsInstance);

    [Theory]
    [InlineData("https://myapp.azurewebsites.net/runtime/webhooks/durabletask/instances/1", "https://myapp.azurewebsites.net:443")]
    [InlineData("https://myapp.azurewebsites.net:443/api/x", "https://myapp.azurewebsites.net:443")]
    [InlineData("HTTPS://MyApp.AzureWebsites.NET/x", "https://myapp.azurewebsites.net:443")]
    [InlineData("http://127.0.0.1:7071/api/x?code=k", "http://127.0.0.1:7071")]
    [InlineData("http://localhost/x", "http://localhost:80")]
    public void The_origin_is_scheme_host_and_port_always_written(string uri, string expected) =>
        Assert.Equal(expected, DurableLink.OriginOf(new Uri(uri)));
}
