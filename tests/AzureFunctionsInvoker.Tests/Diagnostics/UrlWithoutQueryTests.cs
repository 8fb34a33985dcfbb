using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace AzureFunctionsInvoker.Tests.Diagnostics;

public sealed class UrlWithoutQueryTests
{
    [Theory]
    [InlineData("https://myapp.azurewebsites.net/api/hello", "https://myapp.azurewebsites.net/api/hello")]
    [InlineData("https://myapp.azurewebsites.net/api/hello/orders/42?token=secret", "https://myapp.azurewebsites.net/api/hello/orders/42")]
    [InlineData("http://[::1]:7071/api/hello/a%3Fb?x=1?y", "http://[::1]:7071/api/hello/a%3Fb")]
    [InlineData("http://127.0.0.1:7071/api/hello?", "http://127.0.0.1:7071/api/hello")]
    public void Shows_the_address_up_to_its_query(string url, string expected)
    {
        var verbatim = new Uri(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

        Assert.Equal(expected, new Log.UrlWithoutQuery(verbatim).ToString());
    }

    [Fact]
    public void A_forward_logged_at_a_disabled_level_allocates_nothing()
    {
        var url = new Uri("https://myapp.azurewebsites.net/api/hello/orders/42?token=secret");
        Log.Forwarding(NullLogger.Instance, HttpMethod.Get, new Log.UrlWithoutQuery(url), "hello"); // JIT first

        var before = GC.GetAllocatedBytesForCurrentThread();
        Log.Forwarding(NullLogger.Instance, HttpMethod.Get, new Log.UrlWithoutQuery(url), "hello");

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
