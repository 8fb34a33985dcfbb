using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Tests.Validation;

/// <summary>The settings a hint names for an <c>AppName</c> written as a URL or with a port; none for a value that names no valid host.</summary>
public sealed class AppNameHintTests
{
    [Theory]
    [InlineData("://myapp", "azurewebsites.net", "AppName to 'myapp'")]
    [InlineData("https://contoso-orders-in-west-europe", "azurewebsites.net", "AppName to 'contoso-orders-in-west-europe'")]
    [InlineData("https://contosoazurewebsites.net", "azurewebsites.net", "AppName to 'contosoazurewebsites.net' and HostDomain to empty")]
    [InlineData("http://[::1]/api", "", "AppName to '::1' and Https to false")]
    [InlineData("myapp:1", "azurewebsites.net", "AppName to 'myapp' and Port to 1")]
    [InlineData("myapp:65535", "azurewebsites.net", "AppName to 'myapp' and Port to 65535")]
    public void Names_the_settings_to_write_instead(string appName, string hostDomain, string expected) =>
        Assert.Equal(expected, AppNameHint.For(appName, hostDomain));

    [Theory]
    [InlineData("http://[::1")]
    [InlineData("[::1]x")]
    [InlineData("myapp:0")]
    [InlineData("myapp:65536")]
    public void Names_nothing_for_a_value_without_a_valid_host_and_port(string appName) =>
        Assert.Null(AppNameHint.For(appName, "azurewebsites.net"));
}
