using System.Xml.Linq;
using AzureFunctionsInvoker.Functions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task The_key_ring_loads_at_startup_only_when_the_app_registers_data_protection_itself(bool appBefore, bool appAfter)
    {
        var keys = new RecordingXmlRepository();
        var builder = Host.CreateEmptyApplicationBuilder(new());
        if (appBefore)
        {
            builder.Services.AddDataProtection();
        }

        builder.Services.AddAzureFunctionProxy("orders", o => (o.AppName, o.FunctionName) = ("contoso", "orders"));
        if (appAfter)
        {
            builder.Services.AddDataProtection();
        }

        builder.Services.Configure<KeyManagementOptions>(o => o.XmlRepository = keys);
        using var host = builder.Build();

        await host.StartAsync();
        var readAtStartup = keys.Reads;
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect([1]);
        await host.StopAsync();

        Assert.Equal(appBefore || appAfter, readAtStartup > 0);
        Assert.True(keys.Reads > 0, "the key ring loads with the first protection");
    }

    private sealed class RecordingXmlRepository : IXmlRepository
    {
        private readonly List<XElement> _elements = [];

        public int Reads { get; private set; }

        public IReadOnlyCollection<XElement> GetAllElements()
        {
            Reads++;
            return [.. _elements];
        }

        public void StoreElement(XElement element, string friendlyName) => _elements.Add(element);
    }
}
