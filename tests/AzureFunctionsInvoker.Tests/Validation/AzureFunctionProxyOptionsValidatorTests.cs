using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Tests.Validation;

public sealed class AzureFunctionProxyOptionsValidatorTests
{
    private const string Secret = "s3cr3t-KEY-value";

    [Fact]
    public void The_plugins_minimal_configuration_is_valid()
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = Secret });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("localhost", "", 7071)]
    [InlineData("127.0.0.1", "", null)]
    [InlineData("::1", "", null)]
    [InlineData("my-app", "azurewebsites.net", null)]
    [InlineData("my-app", "azurewebsites.us", 8443)]
    [InlineData("fe80::1", "", 7071)]
    [InlineData("0.0.0.0", "", null)]
    [InlineData("a", "b.c", null)]
    public void Accepts_host_names_and_addresses(string appName, string hostDomain, int? port)
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = appName, HostDomain = hostDomain, Port = port, FunctionName = "f" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "my app")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "localhost:7071")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "app/evil")]
    [InlineData(nameof(AzureFunctionProxyOptions.HostDomain), "HostDomain", "bad_domain!")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "my_app")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "-app")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), "AppName", "[::1]")]
    [InlineData(nameof(AzureFunctionProxyOptions.HostDomain), "HostDomain", "azurewebsites.net.")]
    [InlineData(nameof(AzureFunctionProxyOptions.Timeout), "Timeout", "0")]
    [InlineData(nameof(AzureFunctionProxyOptions.Timeout), "Timeout", "-1")]
    [InlineData(nameof(AzureFunctionProxyOptions.Keepalive), "Keepalive", "0")]
    [InlineData(nameof(AzureFunctionProxyOptions.Port), "Port", "0")]
    [InlineData(nameof(AzureFunctionProxyOptions.Port), "Port", "65536")]
    [InlineData(nameof(AzureFunctionProxyOptions.MaxRequestBodySize), "MaxRequestBodySize", "-1")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "..")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "a/../admin")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "a%2F..")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "hello?x=1")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "FunctionName", "//")]
    [InlineData(nameof(AzureFunctionProxyOptions.RoutePrefix), "RoutePrefix", "/api/../admin")]
    [InlineData(nameof(AzureFunctionProxyOptions.RoutePrefix), "RoutePrefix", "a\\b")]
    public void Names_the_invalid_option(string property, string expectedName, string value)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        Set(options, property, value);

        var result = Validate(options);

        Assert.True(result.Failed);
        Assert.Contains(expectedName, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("999.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("010.0.0.1")]
    [InlineData("1.2.3.4.5")]
    public void Refuses_an_app_name_that_is_not_a_canonical_ipv4_address_when_it_is_the_whole_host(string appName)
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = appName, HostDomain = string.Empty, FunctionName = "hello" });

        Assert.Contains("AppName", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{0}\r\nX-Injected: 1")]
    [InlineData("{0}\nbreak")]
    [InlineData("{0}\0")]
    [InlineData("{0}\u00e9")]
    [InlineData(" {0}")]
    [InlineData("{0}\t")]
    public void Refuses_keys_and_client_ids_that_cannot_be_a_header_value_without_printing_them(string format)
    {
        var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Secret);

        var keyResult = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = value });
        var clientResult = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ClientId = value });

        Assert.Contains("ApiKey", keyResult.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClientId", clientResult.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, keyResult.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, clientResult.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_every_invalid_option_at_once()
    {
        var result = Validate(new AzureFunctionProxyOptions { Timeout = 0, Keepalive = -5 });

        foreach (var name in new[] { "FunctionName", "AppName", "Timeout", "Keepalive" })
        {
            Assert.Contains(name, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(AzureFunctionProxyOptions options) =>
        new AzureFunctionProxyOptionsValidator().Validate(null, options);

    private static void Set(AzureFunctionProxyOptions options, string property, string value)
    {
        switch (property)
        {
            case nameof(options.FunctionName): options.FunctionName = value; break;
            case nameof(options.AppName): options.AppName = value; break;
            case nameof(options.HostDomain): options.HostDomain = value; break;
            case nameof(options.RoutePrefix): options.RoutePrefix = value; break;
            case nameof(options.Timeout): options.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(options.Keepalive): options.Keepalive = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(options.Port): options.Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(options.MaxRequestBodySize): options.MaxRequestBodySize = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: throw new ArgumentOutOfRangeException(nameof(property));
        }
    }
}
