using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// Lowering <c>DurableLinksLifetime</c> cuts links already issued short: a link is valid while both the lifetime it was
/// issued with and today's lifetime, counted from its issue time, have not run out.
/// </summary>
public sealed class DurableLinkRevocationTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Lowering_DurableLinksLifetime_cuts_links_already_issued_short()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["Durable"] = "orchestrators" })
            .ConfigurePipeline(app => app.UseAzureFunctionProxy("/durable", "Durable"))
            .ConfigureServices(builder => builder.Services.AddSingleton<TimeProvider>(clock))
            .StartAsync();
        using var start = await env.Caller.PostAsync(new Uri("/durable/hello", UriKind.Relative), null);
        var status = start.Headers.Location!;

        clock.Advance(TimeSpan.FromMinutes(2));
        using (var stillValid = await env.Caller.GetAsync(status))
        {
            Assert.Equal(HttpStatusCode.Accepted, stillValid.StatusCode);
        }

        env.Reload("Functions:Durable:DurableLinksLifetime", "00:01:00");
        await env.Logs.WaitForAsync("Reloaded", s_bound);
        using var cut = await env.Caller.GetAsync(status);
        env.Reload("Functions:Durable:DurableLinksLifetime", "7.00:00:00");
        using var restored = await env.Caller.GetAsync(status);

        Assert.Equal(HttpStatusCode.NotFound, cut.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, restored.StatusCode);
    }
}
