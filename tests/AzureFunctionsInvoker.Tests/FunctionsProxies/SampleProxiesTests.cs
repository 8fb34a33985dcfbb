using System.Net;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.FunctionsProxies;

/// <summary>The sample's proxies.json, as the README shows it: a mock, a redirect, and a function of the demo through localhost.</summary>
public sealed class SampleProxiesTests
{
    [Fact]
    public async Task The_samples_proxies_answer_as_the_readme_shows()
    {
        await using var sample = await SampleProcess.StartAsync();
        using var noRedirects = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = sample.Client.BaseAddress };

        using var greet = await sample.Client.GetAsync("/proxies/greet/Kong");
        var mock = await sample.Client.GetStringAsync("/proxies/orders/42");
        using var docs = await noRedirects.GetAsync("/proxies/docs");

        Assert.Equal("Hello Kong!", await greet.Content.ReadAsStringAsync());
        Assert.Equal("proxies.json", Assert.Single(greet.Headers.GetValues("X-Greeted-By")));
        Assert.Equal("""{ "id": 42, "status": "mocked" }""", mock);
        Assert.Equal(HttpStatusCode.Found, docs.StatusCode);
        Assert.Equal("https://learn.microsoft.com/azure/azure-functions/legacy-proxies", docs.Headers.Location?.OriginalString);
    }
}
