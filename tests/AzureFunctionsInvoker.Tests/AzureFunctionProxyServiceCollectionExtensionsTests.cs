using AzureFunctionsInvoker.Functions;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests;

public sealed class AzureFunctionProxyServiceCollectionExtensionsTests
{
    [Fact]
    public void Two_names_differing_only_in_case_fail_at_registration_naming_both()
    {
        var services = new ServiceCollection();
        services.AddAzureFunctionProxy("orders", o => o.AppName = "contoso");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddAzureFunctionProxy("Orders", o => o.AppName = "contoso"));

        Assert.Contains("'Orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("case-insensitive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_name_registered_twice_is_one_function()
    {
        var services = new ServiceCollection();

        services.AddAzureFunctionProxy("orders", o => o.AppName = "contoso");
        services.AddAzureFunctionProxy("orders", o => o.FunctionName = "orders");

        Assert.Single(services, d => d.ServiceType == typeof(RegisteredFunction));
    }
}
