using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Where requests go, in the log: each forwarded request's address at Debug, never its query. The environment checks
/// that no line holds the key.
/// </summary>
public sealed class WhereRequestsGoTests
{
    [Fact]
    public async Task Each_forward_logs_the_functions_address_with_the_path_at_debug_but_never_the_query()
    {
        await using var env = await ProxyEnvironment.StartAsync("echo");

        using var response = await env.Caller.GetAsync(new Uri("/mytest/orders/42?token=caller-secret", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarding = Assert.Single(env.Logs.Entries, e => e.EventId.Name == "Forwarding");
        Assert.Equal(LogLevel.Debug, forwarding.Level);
        Assert.Contains($"Forwarding a GET request to http://127.0.0.1:{env.Function.Port}/api/echo/orders/42 (Azure Function 'echo').", forwarding.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("caller-secret", forwarding.Text, StringComparison.Ordinal);
    }
}
