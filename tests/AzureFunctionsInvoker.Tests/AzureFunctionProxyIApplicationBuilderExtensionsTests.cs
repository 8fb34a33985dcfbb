using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests;

public sealed class AzureFunctionProxyIApplicationBuilderExtensionsTests
{
    [Fact]
    public void Without_AddAzureFunctionProxy_startup_fails_saying_to_call_it()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.UseAzureFunctionProxy("/mytest", Valid()));

        Assert.Contains("AddAzureFunctionProxy()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_at_startup_naming_each_option_and_never_the_key()
    {
        var app = AppWithProxyServices(out _);

        var error = Assert.Throws<OptionsValidationException>(() => app.UseAzureFunctionProxy("/mytest", o =>
        {
            o.ApiKey = "top-secret\r\n";
            o.Timeout = 0;
        }));

        foreach (var name in new[] { "FunctionName", "AppName", "ApiKey", "Timeout" })
        {
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("top-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Turning_https_verify_off_logs_a_warning_at_startup()
    {
        var app = AppWithProxyServices(out var logs);

        app.UseAzureFunctionProxy("/mytest", o =>
        {
            o.AppName = "myapp";
            o.FunctionName = "hello";
            o.HttpsVerify = false;
        });

        var warning = Assert.Single(logs.Entries, e => e.EventId.Name == "HttpsVerifyDisabled");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("https://myapp.azurewebsites.net", warning.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("myapp", "azurewebsites.net", true)]
    [InlineData("127.0.0.1", "", false)]
    [InlineData("localhost", "", false)]
    public void Sending_the_key_over_plain_http_to_another_machine_logs_a_warning(string appName, string hostDomain, bool warns)
    {
        var app = AppWithProxyServices(out var logs);

        app.UseAzureFunctionProxy("/mytest", o =>
        {
            o.AppName = appName;
            o.HostDomain = hostDomain;
            o.FunctionName = "hello";
            o.Https = false;
            o.ApiKey = "secret-key";
        });

        Assert.Equal(warns, logs.Entries.Any(e => e.EventId.Name == "KeyOverHttp" && e.Level == LogLevel.Warning));
        Assert.DoesNotContain("secret-key", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_host_name_in_app_name_under_the_default_domain_logs_a_warning_naming_the_function()
    {
        var app = AppWithProxyServices(out var logs);

        app.UseAzureFunctionProxy("/mytest", o =>
        {
            o.AppName = "myapp.example.com";
            o.FunctionName = "hello";
        });

        var warning = Assert.Single(logs.Entries, e => e.EventId.Name == "HostDomainAppended");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(
            "The Azure Function 'hello' is called at myapp.example.com.azurewebsites.net: its AppName holds a dot, and the default " +
            "HostDomain was added to it. If AppName is the whole host name, set HostDomain to empty to use myapp.example.com as is.",
            warning.Text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_name_the_function_and_the_unit()
    {
        var app = AppWithProxyServices(out _);

        var error = Assert.Throws<OptionsValidationException>(() => app.UseAzureFunctionProxy("/mytest", o =>
        {
            o.AppName = "https://myapp.azurewebsites.net";
            o.FunctionName = "hello";
            o.Timeout = 0;
        }));

        Assert.Contains("Azure Function 'hello': Timeout must be between 1 and 2147483647 milliseconds.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Azure Function 'hello': AppName must be the Function App's name, not a URL: set AppName to 'myapp' (Https and Port set the scheme and port).", error.Message, StringComparison.Ordinal);
    }

    private static WebApplication AppWithProxyServices(out CapturingLoggerProvider logs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddAzureFunctionProxy();
        return builder.Build();
    }

    private static AzureFunctionProxyOptions Valid() => new() { AppName = "myapp", FunctionName = "hello" };
}
