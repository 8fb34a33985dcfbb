using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Tests.Validation;

/// <summary>What validation says of <c>Backends</c> and the circuit breaker's options: each entry named by its index.</summary>
public sealed class BackendsValidationTests
{
    [Fact]
    public void With_backends_the_functions_own_AppName_is_not_required()
    {
        var result = Validate(new AzureFunctionProxyOptions
        {
            FunctionName = "hello",
            ApiKey = "k-weu",
            Backends = [new() { AppName = "hello-weu" }, new() { AppName = "hello-neu", Priority = 2, ApiKey = "k-neu" }],
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void With_backends_the_functions_own_AppName_is_still_checked_when_set()
    {
        var result = Validate(new AzureFunctionProxyOptions { FunctionName = "hello", AppName = "my_app", Backends = [new() { AppName = "weu" }, new() { AppName = "neu" }] });

        Assert.StartsWith("Azure Function 'Hello' (AzureFunctions:Hello:AppName): AppName must be a DNS name", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_without_an_AppName_of_its_own_or_its_functions_is_named()
    {
        var result = Validate(new AzureFunctionProxyOptions { FunctionName = "hello", Backends = [new() { AppName = "weu" }, new() { Port = 8080 }] });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Azure Function 'Hello' (AzureFunctions:Hello:Backends:1:AppName): Backends[1].AppName is required", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Port", "0", "Backends:1:Port", "Backends[1].Port must be between 1 and 65535")]
    [InlineData("Priority", "0", "Backends:1:Priority", "Backends[1].Priority must be 1 or more")]
    [InlineData("Weight", "0", "Backends:1:Weight", "Backends[1].Weight must be between 1 and 100")]
    [InlineData("Weight", "101", "Backends:1:Weight", "Backends[1].Weight must be between 1 and 100")]
    [InlineData("AppName", "https://neu.example", "Backends:1:AppName", "Backends[1].AppName must be the Function App's name, not a URL")]
    [InlineData("ApiKey", "k\r\nX-Injected: 1", "Backends:1:ApiKey", "Backends[1].ApiKey contains a character")]
    [InlineData("HttpVersion", "2.0", "Backends:1:HttpVersion", "Backends[1].HttpVersion must be 1.1 or 2, or unset for the function's own.")]
    [InlineData("AppName", "weu", "Backends:1:AppName", "Backends[1].AppName, HostDomain, Port and Https name the same Function App as Backends[0]")]
    public void An_invalid_entry_is_named_by_its_index_and_path(string property, string value, string path, string message)
    {
        var backend = new AzureFunctionProxyBackend { AppName = "neu" };
        var info = typeof(AzureFunctionProxyBackend).GetProperty(property)!;
        info.SetValue(backend, info.PropertyType == typeof(string) ? value : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        var result = Validate(new AzureFunctionProxyOptions { FunctionName = "hello", Backends = [new() { AppName = "weu" }, backend] });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Azure Function 'Hello' (AzureFunctions:Hello:{path}): {message}", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Injected", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_app_mount_may_have_Backends_when_its_functions_take_their_keys_from_them()
    {
        var options = new AzureFunctionProxyOptions { ApiKey = "host", Backends = [new() { AppName = "shop-weu" }, new() { AppName = "shop-neu", ApiKey = "neu" }] };
        options.Functions["orders"] = new();
        options.Functions["invoices"] = null!;

        Assert.True(Validate(options).Succeeded);
    }

    [Theory]
    [InlineData("ApiKey")]
    [InlineData("ClientId")]
    public void A_function_of_an_app_mount_with_Backends_cannot_have_its_own_key_or_client_id(string setting)
    {
        var options = new AzureFunctionProxyOptions { Backends = [new() { AppName = "shop-weu" }, new() { AppName = "shop-neu" }] };
        options.Functions["orders"] = new();
        var invoices = new AzureFunctionProxyFunctionOptions();
        typeof(AzureFunctionProxyFunctionOptions).GetProperty(setting)!.SetValue(invoices, "secret-of-one-app");
        options.Functions["invoices"] = invoices;

        var failure = Assert.Single(Validate(options).Failures!);

        Assert.StartsWith(
            $"Azure Function 'Hello' (AzureFunctions:Hello:Functions:invoices:{setting}): {setting} cannot be set for one function of an app mount with Backends",
            failure,
            StringComparison.Ordinal);
        Assert.Contains($"Set each backend's {setting}", failure, StringComparison.Ordinal);
        Assert.EndsWith($"or the app's {setting} for backends that share it.", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-of-one-app", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_app_on_another_port_is_another_backend()
    {
        var result = Validate(new AzureFunctionProxyOptions
        {
            FunctionName = "hello",
            AppName = "localhost",
            HostDomain = string.Empty,
            Backends = [new() { Port = 7071 }, new() { Port = 7072 }],
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(nameof(AzureFunctionProxyOptions.FailureThreshold), "FailureThreshold must be between 1 and 2147483647 failures in a row.")]
    [InlineData(nameof(AzureFunctionProxyOptions.BreakDuration), "BreakDuration must be between 1 and 2147483647 milliseconds.")]
    [InlineData(nameof(AzureFunctionProxyOptions.MaxRetryAfter), "MaxRetryAfter must be between 1 and 2147483647 milliseconds.")]
    public void Circuit_durations_and_counts_must_be_positive(string property, string message)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        typeof(AzureFunctionProxyOptions).GetProperty(property)!.SetValue(options, 0);

        var failure = Assert.Single(Validate(options).Failures!);

        Assert.Equal($"Azure Function 'Hello' (AzureFunctions:Hello:{property}): {message}", failure);
    }

    [Fact]
    public void FailureStatusCodes_must_be_error_statuses()
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", FailureStatusCodes = [503, 200] };

        var failure = Assert.Single(Validate(options).Failures!);

        Assert.Equal("Azure Function 'Hello' (AzureFunctions:Hello:FailureStatusCodes:1): FailureStatusCodes must hold error statuses, between 400 and 599.", failure);
    }

    [Fact]
    public void More_than_64_backends_are_refused()
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", Backends = [.. Enumerable.Range(0, 65).Select(i => new AzureFunctionProxyBackend { AppName = $"app{i}" })] };

        var failure = Assert.Single(Validate(options).Failures!);

        Assert.Contains("Backends must hold at most 64", failure, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(AzureFunctionProxyOptions options) =>
        AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Hello", "AzureFunctions:Hello"), options);
}
