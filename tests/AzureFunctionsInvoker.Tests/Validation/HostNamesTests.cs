using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Tests.Validation;

public sealed class HostNamesTests
{
    [Theory]
    [InlineData("myapp.example.com", "azurewebsites.net", true)]
    [InlineData("myapp.example.com", "AzureWebsites.NET", true)]
    [InlineData("127.0.0.1", "azurewebsites.net", true)]
    [InlineData("myapp", "azurewebsites.net", false)]
    [InlineData("myapp.example.com", "", false)]
    [InlineData("myapp.myase", "p.azurewebsites.net", false)]
    public void An_app_name_with_a_dot_under_the_default_domain_may_be_a_whole_host(string appName, string hostDomain, bool expected)
    {
        var options = new AzureFunctionProxyOptions { AppName = appName, HostDomain = hostDomain };

        Assert.Equal(expected, HostNames.MayBeWholeHost(options));
    }
}
