using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Failover;

/// <summary>One circuit per function and backend origin, kept across reloads; nothing shared between two of either.</summary>
public sealed class CircuitRegistryTests
{
    private readonly CircuitRegistry _registry = new(new FakeTimeProvider(), metrics: null, NullLogger.Instance);

    [Fact]
    public void The_same_function_and_origin_get_the_same_circuit_whatever_the_case_and_path()
    {
        var circuit = _registry.Get("Hello", new Uri("https://myapp.azurewebsites.net/api/hello"));

        Assert.Same(circuit, _registry.Get("HELLO", new Uri("https://MyApp.AzureWebsites.net:443/api/other")));
        Assert.Equal("myapp.azurewebsites.net:443", circuit.Endpoint);
    }

    [Theory]
    [InlineData("Other", "https://myapp.azurewebsites.net/api/hello")]
    [InlineData("Hello", "http://myapp.azurewebsites.net:443/api/hello")]
    [InlineData("Hello", "https://otherapp.azurewebsites.net/api/hello")]
    [InlineData("Hello", "https://myapp.azurewebsites.net:8443/api/hello")]
    public void Another_function_scheme_host_or_port_gets_a_circuit_of_its_own(string functionName, string uri)
    {
        var circuit = _registry.Get("Hello", new Uri("https://myapp.azurewebsites.net/api/hello"));

        Assert.NotSame(circuit, _registry.Get(functionName, new Uri(uri)));
    }

    [Fact]
    public void Its_circuits_run_on_its_clock_and_log_to_its_logger()
    {
        var time = new FakeTimeProvider();
        using var logs = new CapturingLoggerProvider();
        var registry = new CircuitRegistry(time, metrics: null, logs.CreateLogger("circuits"));
        var circuit = registry.Get("Hello", new Uri("https://myapp.azurewebsites.net/api/hello"));

        circuit.Failed("503", threshold: 1, TimeSpan.FromSeconds(10), retryAfter: null, trial: 0);

        Assert.Same(time, registry.Time);
        Assert.True(circuit.IsOpen);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(circuit.IsOpen);
        Assert.Contains("of the Azure Function 'Hello' opened", Assert.Single(logs.Entries).Text, StringComparison.Ordinal);
    }
}
