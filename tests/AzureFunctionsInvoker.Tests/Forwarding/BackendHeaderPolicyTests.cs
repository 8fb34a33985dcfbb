using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Tests.Forwarding;

/// <summary>
/// <see cref="Backend.HeaderPolicy"/> alone: which names a backend's options drop, read once when the policy is made.
/// <see cref="HeaderRulesPolicyTests"/> shows the same through the copy.
/// </summary>
public sealed class BackendHeaderPolicyTests
{
    [Theory]
    [InlineData("Connection", true)]
    [InlineData("host", true)]
    [InlineData("X_Original_URL", true)]
    [InlineData("x-ms-token-aad-id-token", true)]
    [InlineData("X-MS-CLIENT-PRINCIPAL", true)]
    [InlineData("X-Forwarded-Port", true)]
    [InlineData("x_forwarded_prefix", true)]
    [InlineData("X-Real-IP", true)]
    [InlineData("x-functions-key", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("x_api_key", true)]
    [InlineData("Accept", false)]
    [InlineData("X", false)]
    [InlineData("X-", false)]
    [InlineData("X-MS-CLIENT", false)]
    [InlineData("XForwarded-For", false)]
    [InlineData("x-functions-clientid", false)]
    public void Request_names_are_judged_with_underscores_read_as_hyphens(string name, bool dropped)
    {
        var policy = new Backend.HeaderPolicy(Options(o =>
        {
            o.ApiKey = "key";
            o.RemoveRequestHeaders.Add("x-api-key");
        }));

        Assert.Equal(dropped, policy.DropsRequestHeader(name));
    }

    [Theory]
    [InlineData("X_Custom_Id")]
    [InlineData("X-Custom-Id")]
    [InlineData("x_custom-ID")]
    public void A_removed_name_written_with_underscores_drops_every_spelling_of_it(string name)
    {
        var policy = new Backend.HeaderPolicy(Options(o => o.RemoveRequestHeaders.Add("X_Custom_Id")));

        Assert.True(policy.DropsRequestHeader(name));
        Assert.False(policy.DropsRequestHeader("X-Custom"));
    }

    [Theory]
    [InlineData("x-functions-key")]
    [InlineData("x-functions-clientid")]
    [InlineData("Forwarded")]
    [InlineData("X-Forwarded-Host")]
    public void The_proxys_own_headers_and_their_kin_are_dropped_only_while_it_sets_them(string name)
    {
        var setting = new Backend.HeaderPolicy(Options(o => { o.ApiKey = "key"; o.ClientId = "id"; }));
        var notSetting = new Backend.HeaderPolicy(Options(o => o.AddXForwardedHeaders = false));

        Assert.True(setting.DropsRequestHeader(name));
        Assert.False(notSetting.DropsRequestHeader(name));
    }

    [Theory]
    [InlineData("Alt-Svc", true)]
    [InlineData("content-length", true)]
    [InlineData("Proxy-Authenticate", true)]
    [InlineData("X-Functions-Key", true)]
    [InlineData("SERVER", true)]
    [InlineData("Content-Type", false)]
    [InlineData("Set-Cookie", false)]
    public void Response_names_are_those_of_http_the_proxy_and_the_user(string name, bool dropped)
    {
        var policy = new Backend.HeaderPolicy(Options(o => o.RemoveResponseHeaders.Add("Server")));

        Assert.Equal(dropped, policy.DropsResponseHeader(name));
    }

    [Fact]
    public void A_policy_is_fixed_when_made_so_later_changes_to_its_options_are_not_read()
    {
        var options = Options(o => o.AddXForwardedHeaders = false);
        var policy = new Backend.HeaderPolicy(options);
        options.ApiKey = "late-key";
        options.ClientId = "late-id";
        options.AddXForwardedHeaders = true;
        options.RemoveRequestHeaders.Add("X-Kept");
        options.RemoveResponseHeaders.Add("X-Kept");

        Assert.Null(policy.ApiKey);
        Assert.Null(policy.ClientId);
        Assert.False(policy.AddXForwardedHeaders);
        Assert.False(policy.DropsRequestHeader("X-Kept"));
        Assert.False(policy.DropsRequestHeader("X-Forwarded-For"));
        Assert.False(policy.DropsResponseHeader("X-Kept"));
    }

    [Fact]
    public void An_empty_key_or_client_id_is_none_so_a_callers_own_passes_through()
    {
        var policy = new Backend.HeaderPolicy(Options(o => { o.ApiKey = string.Empty; o.ClientId = string.Empty; }));

        Assert.Null(policy.ApiKey);
        Assert.Null(policy.ClientId);
        Assert.False(policy.DropsRequestHeader("x-functions-key"));
        Assert.False(policy.DropsRequestHeader("x-functions-clientid"));
    }

    private static AzureFunctionProxyOptions Options(Action<AzureFunctionProxyOptions>? configure = null)
    {
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        configure?.Invoke(options);
        return options;
    }
}
