namespace AzureFunctionsInvoker.Tests;

public sealed class AzureFunctionProxyOptionsTests
{
    public static TheoryData<string> Properties() => [.. typeof(AzureFunctionProxyOptions).GetProperties().Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Properties))]
    public void A_change_to_any_option_is_a_change_a_reload_applies(string property)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", Port = 443, ApiKey = "k", ClientId = "c" };
        var changed = options.Clone();
        var info = typeof(AzureFunctionProxyOptions).GetProperty(property)!;

        info.SetValue(changed, info.GetValue(options) switch
        {
            string value => value + "x",
            bool value => !value,
            int value => value + 1,
            long value => value + 1,
            TimeSpan value => value + TimeSpan.FromSeconds(1),
            RequestBodyFraming value => value == RequestBodyFraming.AsSent ? RequestBodyFraming.ContentLength : RequestBodyFraming.AsSent,
            IList<string> value => (IList<string>)[.. value, "X-Added"],
            IList<AzureFunctionProxyBackend> value => (IList<AzureFunctionProxyBackend>)[.. value, new() { AppName = "other" }],
            null when property == nameof(AzureFunctionProxyOptions.FailureStatusCodes) => (IList<int>)[500],
            null when property == nameof(AzureFunctionProxyOptions.MaxConnectionsPerBackend) => 4,
            IDictionary<string, AzureFunctionProxyFunctionOptions> value => new Dictionary<string, AzureFunctionProxyFunctionOptions>(value) { ["added"] = new() },
            var other => throw new InvalidOperationException($"No change defined for {property} = {other}."),
        });

        Assert.True(options.HasSameValues(options.Clone()));
        Assert.False(options.HasSameValues(changed));
    }

    [Fact]
    public void A_clone_does_not_share_the_header_lists()
    {
        var options = new AzureFunctionProxyOptions { RemoveRequestHeaders = ["X-Api-Key"], RemoveResponseHeaders = ["Server"] };
        var clone = options.Clone();

        options.RemoveRequestHeaders.Add("Cookie");
        options.RemoveResponseHeaders.Clear();

        Assert.Equal(["X-Api-Key"], clone.RemoveRequestHeaders);
        Assert.Equal(["Server"], clone.RemoveResponseHeaders);
    }

    [Theory]
    [InlineData(nameof(AzureFunctionProxyBackend.AppName))]
    [InlineData(nameof(AzureFunctionProxyBackend.HostDomain))]
    [InlineData(nameof(AzureFunctionProxyBackend.Port))]
    [InlineData(nameof(AzureFunctionProxyBackend.Https))]
    [InlineData(nameof(AzureFunctionProxyBackend.ApiKey))]
    [InlineData(nameof(AzureFunctionProxyBackend.ClientId))]
    [InlineData(nameof(AzureFunctionProxyBackend.Priority))]
    [InlineData(nameof(AzureFunctionProxyBackend.Weight))]
    [InlineData(nameof(AzureFunctionProxyBackend.HttpVersion))]
    public void A_change_to_any_key_of_a_backend_is_a_change_and_a_clone_does_not_share_it(string property)
    {
        var options = new AzureFunctionProxyOptions { FunctionName = "hello", Backends = [new() { AppName = "weu" }, new() { AppName = "neu" }] };
        var clone = options.Clone();
        var info = typeof(AzureFunctionProxyBackend).GetProperty(property)!;
        var before = info.GetValue(options.Backends[1]);

        info.SetValue(options.Backends[1], info.PropertyType == typeof(string) ? "changed" : info.PropertyType == typeof(bool?) ? false : 7);

        Assert.False(options.HasSameValues(clone));
        Assert.Equal(before, info.GetValue(clone.Backends[1]));
    }

    [Fact]
    public void A_backend_takes_the_keys_it_leaves_out_from_its_function()
    {
        var options = new AzureFunctionProxyOptions
        {
            FunctionName = "hello",
            AppName = "shared",
            HostDomain = "example.net",
            Port = 8443,
            Https = true,
            ApiKey = "k",
            ClientId = "c",
            Backends = [new() { AppName = "neu", ApiKey = "k-neu" }],
        };

        var backend = options.ForBackend(options.Backends[0]);

        Assert.Equal(("neu", "example.net", 8443, true, "k-neu", "c"), (backend.AppName, backend.HostDomain, backend.Port, backend.Https, backend.ApiKey, backend.ClientId));
        Assert.Empty(backend.Backends);
    }

    [Theory]
    [InlineData("orders", "k", "c", true)]
    [InlineData("ORDERS", "k", "c", true)]
    [InlineData("invoices", "k", "c", false)]
    [InlineData("orders", "k2", "c", false)]
    [InlineData("orders", "k", "C", false)]
    [InlineData("orders", null, "c", false)]
    public void A_reload_notices_a_function_added_renamed_or_given_another_key_or_client_id(string name, string? apiKey, string clientId, bool same)
    {
        var options = new AzureFunctionProxyOptions();
        options.Functions["orders"] = new() { ApiKey = "k", ClientId = "c" };
        var reloaded = new AzureFunctionProxyOptions();
        reloaded.Functions[name] = new() { ApiKey = apiKey, ClientId = clientId };

        Assert.Equal(same, options.HasSameValues(reloaded));
    }

    [Fact]
    public void A_clone_does_not_share_the_functions_and_an_entry_bound_empty_is_one_without_settings()
    {
        var options = new AzureFunctionProxyOptions();
        options.Functions["orders"] = new() { ApiKey = "k" };
        options.Functions["invoices"] = null!;
        var clone = options.Clone();

        options.Functions["orders"].ApiKey = "changed";
        options.Functions.Remove("invoices");

        Assert.Equal("k", clone.Functions["orders"].ApiKey);
        Assert.Null(clone.Functions["INVOICES"].ApiKey);
    }
}
