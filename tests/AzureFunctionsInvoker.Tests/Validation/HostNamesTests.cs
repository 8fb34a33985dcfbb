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

    [Theory]
    [InlineData("1.example.com", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("256.0.0.1", false)]
    [InlineData("1.2..3", false)]
    [InlineData("", false)]
    public void A_host_is_a_dns_name_or_a_canonical_ipv4_address(string host, bool expected) =>
        Assert.Equal(expected, HostNames.IsValid(host));

    [Fact]
    public void A_label_holds_up_to_63_characters_and_a_name_up_to_253()
    {
        var label63 = new string('a', 63);
        var name253 = string.Join('.', label63, label63, label63, new string('b', 61));

        Assert.True(HostNames.IsValid(label63));
        Assert.False(HostNames.IsValid(label63 + "a"));
        Assert.True(HostNames.IsValid(name253));
        Assert.False(HostNames.IsValid(name253 + "b"));
    }

    [Fact]
    public void Null_options_are_refused_by_name()
    {
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => HostNames.Of(null!)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => HostNames.MayBeWholeHost(null!)).ParamName);
    }
}
