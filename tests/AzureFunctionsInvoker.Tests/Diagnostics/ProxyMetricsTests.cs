using System.Diagnostics.Metrics;
using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Diagnostics;

/// <summary>The <c>AzureFunctionsInvoker</c> meter, as an app's <c>AddMeter</c> finds it.</summary>
public sealed class ProxyMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    [Fact]
    public void Its_instruments_are_named_as_an_exporter_finds_them_in_the_apps_meter_factory()
    {
        var metrics = new ProxyMetrics(MeterFactory);

        Assert.Equal("AzureFunctionsInvoker", metrics.Duration.Meter.Name);
        Assert.Same(MeterFactory, metrics.Duration.Meter.Scope);
        Assert.Same(metrics.Duration.Meter, metrics.ActiveRequests.Meter);
        Assert.Equal("azurefunctionsinvoker.request.duration", metrics.Duration.Name);
        Assert.Equal("s", metrics.Duration.Unit);
        Assert.Equal("azurefunctionsinvoker.active_requests", metrics.ActiveRequests.Name);
        Assert.Equal("{request}", metrics.ActiveRequests.Unit);
    }

    [Fact]
    public void The_duration_advises_opentelemetrys_http_buckets()
    {
        var metrics = new ProxyMetrics(MeterFactory);

        Assert.Equal([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10], metrics.Duration.Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public void Nobody_listening_is_not_enabled()
    {
        var metrics = new ProxyMetrics(MeterFactory);

        Assert.False(metrics.Duration.Enabled);
        Assert.False(metrics.ActiveRequests.Enabled);
        Assert.False(metrics.Enabled);
    }

    [Theory]
    [InlineData("azurefunctionsinvoker.request.duration")]
    [InlineData("azurefunctionsinvoker.active_requests")]
    public void Listening_to_either_instrument_enables_it_until_the_listener_goes(string instrument)
    {
        var metrics = new ProxyMetrics(MeterFactory);
        var listened = new Instrument[] { metrics.Duration, metrics.ActiveRequests }.Single(i => i.Name == instrument);

        var listener = Listen(listened);
        var whileListened = metrics.Enabled;
        listener.Dispose();

        Assert.True(whileListened);
        Assert.False(metrics.Enabled);
    }

    public void Dispose() => _services.Dispose();

    private static MeterListener Listen(params Instrument[] instruments)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instruments.Contains(instrument))
                {
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.Start();
        return listener;
    }
}
