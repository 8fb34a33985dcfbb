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
    [InlineData("notexample", "example", null)]
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
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksPath), "DurableLinksPath", "a/b")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksPath), "DurableLinksPath", "..")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksPath), "DurableLinksPath", "%5F")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksPath), "DurableLinksPath", "a b")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksLifetime), "DurableLinksLifetime", "00:00:00.999")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksLifetime), "DurableLinksLifetime", "-1.00:00:00")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksLifetime), "DurableLinksLifetime", "365.00:00:00.001")]
    [InlineData(nameof(AzureFunctionProxyOptions.DurableLinksLifetime), "DurableLinksLifetime", "10675199.02:48:05.4775807")]
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

    [Theory]
    [InlineData("_durable")]
    [InlineData("")]
    [InlineData("ops.v1")]
    public void Accepts_a_durable_links_path_of_one_segment_or_none(string path)
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", DurableLinksPath = path, DurableLinksLifetime = TimeSpan.FromSeconds(1) });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(365 * 24 * 60 * 60)]
    public void Accepts_a_durable_links_lifetime_from_a_second_to_a_year(int seconds)
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", DurableLinksLifetime = TimeSpan.FromSeconds(seconds) });

        Assert.True(result.Succeeded, result.FailureMessage);
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

    [Theory]
    [InlineData(nameof(AzureFunctionProxyOptions.Timeout), "0", "Timeout must be between 1 and 2147483647 milliseconds.")]
    [InlineData(nameof(AzureFunctionProxyOptions.Keepalive), "-1", "Keepalive must be between 1 and 2147483647 milliseconds.")]
    [InlineData(nameof(AzureFunctionProxyOptions.MaxRequestBodySize), "-1", "MaxRequestBodySize must be 0 bytes or more, or unset for no limit.")]
    [InlineData(nameof(AzureFunctionProxyOptions.MaxConnectionsPerBackend), "0", "MaxConnectionsPerBackend must be 1 connection or more, or unset for no limit.")]
    [InlineData(nameof(AzureFunctionProxyOptions.HttpVersion), "3", "HttpVersion must be 1.1 or 2.")]
    [InlineData(nameof(AzureFunctionProxyOptions.RequestBodyFraming), "7", "RequestBodyFraming must be ContentLength or AsSent.")]
    [InlineData(nameof(AzureFunctionProxyOptions.Port), "65536", "Port must be between 1 and 65535, or unset for the scheme's own (443 with Https, else 80).")]
    [InlineData(nameof(AzureFunctionProxyOptions.FunctionName), "", "FunctionName is required: the function's name in its Function App, e.g. 'hello' for /api/hello (or, for an app mount with '{function}' in its route pattern, Functions).")]
    [InlineData(nameof(AzureFunctionProxyOptions.AppName), " ", "AppName is required: the Function App's name, e.g. 'myapp' for myapp.azurewebsites.net.")]
    public void A_bound_functions_message_names_it_the_keys_configuration_path_and_the_unit(string property, string value, string expected)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "orders" };
        Set(options, property, value);

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Orders", "AzureFunctions:Orders"), options);

        Assert.Equal([$"Azure Function 'Orders' (AzureFunctions:Orders:{property}): {expected}"], result.Failures);
    }

    [Fact]
    public void Options_given_in_code_are_named_by_their_function_name_or_their_mount_point_without_a_path()
    {
        var named = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Timeout = 0 });
        var unnamed = Validate(new AzureFunctionProxyOptions { AppName = "myapp" });
        var registeredInCode = AzureFunctionProxyOptionsValidator.Validate(
            OptionsOrigin.Registered("orders", sectionPath: null), new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Keepalive = 0 });

        Assert.Equal(["Azure Function 'hello': Timeout must be between 1 and 2147483647 milliseconds."], named.Failures);
        Assert.Equal(["Azure Function at '/mytest': FunctionName is required: the function's name in its Function App, e.g. 'hello' for /api/hello (or, for an app mount with '{function}' in its route pattern, Functions)."], unnamed.Failures);
        Assert.Equal(["Azure Function 'orders': Keepalive must be between 1 and 2147483647 milliseconds."], registeredInCode.Failures);
    }

    [Fact]
    public void Options_bound_to_the_configuration_root_name_the_bare_key()
    {
        var result = AzureFunctionProxyOptionsValidator.Validate(
            OptionsOrigin.Registered("orders", sectionPath: string.Empty), new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Timeout = 0 });

        Assert.Equal(["Azure Function 'orders' (Timeout): Timeout must be between 1 and 2147483647 milliseconds."], result.Failures);
    }

    [Theory]
    [InlineData("https://myapp.azurewebsites.net", "azurewebsites.net", "AppName", "not a URL: set AppName to 'myapp' (Https and Port")]
    [InlineData("https://myapp.azurewebsites.net", "", "AppName", "not a URL: set AppName to 'myapp.azurewebsites.net' (Https and Port")]
    [InlineData("http://localhost:7071", "", "AppName", "not a URL: set AppName to 'localhost', Https to false and Port to 7071 (")]
    [InlineData("http://[::1]:7071/api", "", "AppName", "not a URL: set AppName to '::1', Https to false and Port to 7071 (")]
    [InlineData("https://orders.contoso.com/api/orders", "azurewebsites.net", "AppName", "not a URL: set AppName to 'orders.contoso.com' and HostDomain to empty (")]
    [InlineData("https://contoso-orders", "azurewebsites.net", "AppName", "not a URL: set AppName to 'contoso-orders' (")]
    [InlineData("https://my_app/api", "azurewebsites.net", "AppName", "not a URL: put only the app name, e.g. 'myapp' (")]
    [InlineData("https://my_app/api", "", "AppName", "not a URL: put only the app name, e.g. 'localhost' (")]
    [InlineData("myapp/api", "azurewebsites.net", "AppName", "must not hold a path: set AppName to 'myapp' (RoutePrefix and FunctionName make the path).")]
    [InlineData("myapp.azurewebsites.net/api/hello", "", "AppName", "must not hold a path: set AppName to 'myapp.azurewebsites.net' (")]
    [InlineData("localhost:7071", "", "AppName", "must not hold a port: set AppName to 'localhost' and Port to 7071 (the port goes in Port).")]
    [InlineData("myapp:443", "azurewebsites.net", "AppName", "must not hold a port: set AppName to 'myapp' and Port to 443 (")]
    [InlineData("myapp:http", "azurewebsites.net", "AppName", "must not hold a port: put only the app name, e.g. 'myapp' (")]
    [InlineData("myapp.azurewebsites.net", "azurewebsites.net", "AppName", "HostDomain, which is added to it: set AppName to 'myapp', or set HostDomain to empty")]
    [InlineData("::1", "azurewebsites.net", "AppName", "or, with HostDomain empty, an IP address.")]
    [InlineData("my_app", "azurewebsites.net", "AppName", "AppName must be a DNS name of letters, digits and hyphens")]
    [InlineData("myapp", "azurewebsites.net.", "HostDomain", "HostDomain must be a DNS domain of letters, digits and hyphens")]
    [InlineData("myapp", "bad_domain!", "HostDomain", "HostDomain must be a DNS domain of letters, digits and hyphens")]
    public void A_mistaken_host_gets_a_hint_on_the_key_to_fix(string appName, string hostDomain, string key, string hint)
    {
        var options = new AzureFunctionProxyOptions { AppName = appName, HostDomain = hostDomain, FunctionName = "hello" };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Hello", "AzureFunctions:Hello"), options);

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Azure Function 'Hello' (AzureFunctions:Hello:{key}): ", failure, StringComparison.Ordinal);
        Assert.Contains(hint, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://deploy:" + Secret + "@myapp.azurewebsites.net/api/hello?code=" + Secret + "#" + Secret)]
    [InlineData("myapp.azurewebsites.net/" + Secret)]
    [InlineData("https://" + Secret + "==/api")] // a key where the host goes: Azure keys end in "=", no host name
    public void A_hint_built_from_the_value_shows_its_host_never_its_user_info_path_or_query(string appName)
    {
        var options = new AzureFunctionProxyOptions { AppName = appName, HostDomain = "azurewebsites.net", FunctionName = "hello" };

        var failure = Assert.Single(AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Hello", "AzureFunctions:Hello"), options).Failures!);

        Assert.DoesNotContain(Secret, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("deploy", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("code", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_failure_has_the_same_shape_naming_the_function_and_the_key()
    {
        var options = new AzureFunctionProxyOptions
        {
            FunctionName = "a/../b",
            AppName = "myapp:7071",
            RoutePrefix = "%2e",
            ApiKey = Secret + "\n",
            ClientId = " id",
            Port = 0,
            Timeout = 0,
            Keepalive = 0,
            MaxRequestBodySize = -1,
            RemoveRequestHeaders = ["X-Api-Key", "Host"],
            RemoveResponseHeaders = ["Not A Name"],
        };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Orders", "AzureFunctions:Orders"), options);

        Assert.Equal(11, result.Failures!.Count());
        Assert.All(result.Failures!, failure => Assert.Matches(@"^Azure Function 'Orders' \(AzureFunctions:Orders:[A-Za-z]+(:[0-9]+)?\): [A-Z].*\.$", failure));
        Assert.Contains(result.Failures!, f => f.StartsWith("Azure Function 'Orders' (AzureFunctions:Orders:RemoveRequestHeaders:1): ", StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("functions")]
    [InlineData("func-app")]
    [InlineData("shop-functions-7")]
    public void An_aspire_service_name_with_an_empty_HostDomain_is_a_valid_AppName(string serviceName)
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = serviceName, HostDomain = string.Empty, Https = false, FunctionName = "hello" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void An_app_mounts_functions_with_their_own_keys_are_valid_without_a_FunctionName()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop", ApiKey = Secret };
        options.Functions["orders"] = new();
        options.Functions["invoices"] = new() { ApiKey = Secret, ClientId = "client" };
        options.Functions["refunds"] = null!;

        var result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Empty_Functions_are_valid_only_for_an_app_mount_already_mounted(bool? appMount, bool valid)
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop" };
        if (appMount is null)
        {
            options.FunctionName = "hello";
        }

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options, appMount);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Azure Function 'Shop' (AzureFunctions:Shop:FunctionName): FunctionName is required", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_reload_cannot_turn_one_function_into_an_app_mount()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop" };
        options.Functions["orders"] = new();

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options, appMount: false);

        Assert.Equal(
            [AzureFunctionProxyOptionsValidator.MountMismatch(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), appMount: false)],
            result.Failures);
        Assert.StartsWith("Azure Function 'Shop' (AzureFunctions:Shop:Functions): Functions lists", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a%2Fb")]
    [InlineData("%6Frders")]
    [InlineData("a b")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("\u043erders")]
    public void A_Functions_name_that_is_not_one_plain_segment_is_named_with_its_path(string name)
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop" };
        options.Functions[name] = new();

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options);

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Azure Function 'Shop' (AzureFunctions:Shop:Functions:{name}): Functions holds '{name}', which is not a function name", failure, StringComparison.Ordinal);
        Assert.EndsWith(": one path segment of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @, not '.' or '..', with no percent-encoding.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_Functions_names_differing_only_in_case_given_in_code_are_one_function_and_refused()
    {
        var options = new AzureFunctionProxyOptions
        {
            AppName = "contoso-shop",
            Functions = new Dictionary<string, AzureFunctionProxyFunctionOptions>(StringComparer.Ordinal) { ["orders"] = new(), ["Orders"] = new() },
        };

        var result = Validate(options);

        Assert.Contains("Functions holds both 'orders' and 'Orders', one function", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_functions_key_or_client_id_that_cannot_be_a_header_value_is_named_by_its_path_never_its_value()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop" };
        options.Functions["orders"] = new() { ApiKey = Secret + "\r\nX-Injected: 1", ClientId = "caf\u00e9" };

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options);

        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("Azure Function 'Shop' (AzureFunctions:Shop:Functions:orders:ApiKey): ", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Azure Function 'Shop' (AzureFunctions:Shop:Functions:orders:ClientId): ", StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_Functions_set_in_code_is_named()
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Functions = null! });

        Assert.StartsWith("Azure Function 'hello': Functions must be a map", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void Null_arguments_are_refused_by_name()
    {
        var origin = OptionsOrigin.Mounted("hello", "/mytest");

        Assert.Equal("origin", Assert.Throws<ArgumentNullException>(() => AzureFunctionProxyOptionsValidator.Validate(null!, new AzureFunctionProxyOptions())).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => AzureFunctionProxyOptionsValidator.Validate(origin, null!)).ParamName);
        Assert.Equal("origin", Assert.Throws<ArgumentNullException>(() => AzureFunctionProxyOptionsValidator.MountMismatch(null!, appMount: true)).ParamName);
    }

    [Fact]
    public void The_smallest_valid_values_are_valid()
    {
        var options = new AzureFunctionProxyOptions
        {
            AppName = "myapp",
            FunctionName = "hello",
            RoutePrefix = "/",
            Port = 1,
            Timeout = 1,
            Keepalive = 1,
            MaxRequestBodySize = 0,
            FailureThreshold = 1,
            BreakDuration = 1,
            MaxRetryAfter = 1,
            FailureStatusCodes = [400, 599],
            ApiKey = "a b~c",
        };

        var result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
        options.Port = 65535;
        options.RoutePrefix = string.Empty;
        Assert.True(Validate(options).Succeeded);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("../..")]
    public void A_path_option_gets_one_failure_however_many_of_its_segments_are_wrong(string functionName)
    {
        var failure = Assert.Single(Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = functionName }).Failures!);

        Assert.StartsWith("Azure Function '", failure, StringComparison.Ordinal);
        Assert.Contains(": FunctionName must ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_durable_links_path_of_a_dot_is_refused_with_what_it_may_be()
    {
        var result = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", DurableLinksPath = "." });

        Assert.Equal(
            ["Azure Function 'hello': DurableLinksPath must be one path segment of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ " +
                "(no slash, no percent-encoding, not '.' or '..'), e.g. '_durable', or empty to turn Durable links off."],
            result.Failures);
    }

    [Fact]
    public void FunctionName_and_Functions_together_are_refused()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop", FunctionName = "hello" };
        options.Functions["orders"] = new();

        var result = AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Registered("Shop", "AzureFunctions:Shop"), options);

        Assert.Equal(
            ["Azure Function 'Shop' (AzureFunctions:Shop:FunctionName): FunctionName and Functions cannot both be set: FunctionName names the one " +
                "function of a mount, Functions the functions of an app mount (a route pattern with '{function}'). Remove one of them."],
            result.Failures);
    }

    [Fact]
    public void An_app_mount_cannot_take_a_FunctionName()
    {
        var options = new AzureFunctionProxyOptions { AppName = "contoso-shop", FunctionName = "hello" };
        var origin = OptionsOrigin.Registered("Shop", "AzureFunctions:Shop");

        var result = AzureFunctionProxyOptionsValidator.Validate(origin, options, appMount: true);

        var expected = "Azure Function 'Shop' (AzureFunctions:Shop:FunctionName): FunctionName cannot be set on an app mount, whose route pattern has " +
            "'{function}': list the functions it serves in Functions, or map a pattern without '{function}' to call the one function FunctionName names.";
        Assert.Equal([expected], result.Failures);
        Assert.Equal(expected, AzureFunctionProxyOptionsValidator.MountMismatch(origin, appMount: true));
        Assert.Equal(
            "Azure Function 'Shop' (AzureFunctions:Shop:Functions): Functions lists the functions of an app mount, which only MapAzureFunctionProxy " +
                "serves, with '{function}' in its route pattern (e.g. '/shop/{function}/{**rest}'); UseAzureFunctionProxy and patterns without " +
                "'{function}' call the one function FunctionName names.",
            AzureFunctionProxyOptionsValidator.MountMismatch(origin, appMount: false));
    }

    [Fact]
    public void Removed_headers_must_be_a_list_of_header_names()
    {
        var valid = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", RemoveRequestHeaders = ["X-Api-Key"], RemoveResponseHeaders = ["Server"] });
        var missing = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", RemoveResponseHeaders = null! });
        var notAName = Validate(new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", RemoveRequestHeaders = ["Not A Name"] });

        Assert.True(valid.Succeeded, valid.FailureMessage);
        Assert.Equal(["Azure Function 'hello': RemoveResponseHeaders must be a list of header names, or empty."], missing.Failures);
        Assert.Equal(["Azure Function 'hello': RemoveRequestHeaders holds 'Not A Name', which is not a header name (RFC 9110 token characters)."], notAName.Failures);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(AzureFunctionProxyOptions options) =>
        AzureFunctionProxyOptionsValidator.Validate(OptionsOrigin.Mounted(options.FunctionName, "/mytest"), options);

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
            case nameof(options.DurableLinksPath): options.DurableLinksPath = value; break;
            case nameof(options.MaxConnectionsPerBackend): options.MaxConnectionsPerBackend = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(options.HttpVersion): options.HttpVersion = value; break;
            case nameof(options.RequestBodyFraming): options.RequestBodyFraming = (RequestBodyFraming)int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(options.DurableLinksLifetime): options.DurableLinksLifetime = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: throw new ArgumentOutOfRangeException(nameof(property));
        }
    }
}
