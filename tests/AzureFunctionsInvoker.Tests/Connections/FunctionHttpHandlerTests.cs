using System.Net;
using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Tests.Connections;

public sealed class FunctionHttpHandlerTests
{
    [Fact]
    public void Pools_connections_with_the_plugins_keepalive_and_forwards_untouched()
    {
        using var handler = FunctionHttpHandler.CreateHandler(new ConnectionSettings(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(600), VerifyCertificate: true));

        Assert.Equal(TimeSpan.FromSeconds(60), handler.PooledConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(600), handler.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
        Assert.NotNull(handler.ConnectCallback);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void Accepts_any_certificate_only_when_https_verify_is_off()
    {
        using var handler = FunctionHttpHandler.CreateHandler(new ConnectionSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), VerifyCertificate: false));

        Assert.True(handler.SslOptions.RemoteCertificateValidationCallback!(this, null, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Settings_follow_the_options_units()
    {
        var settings = ConnectionSettings.From(new AzureFunctionProxyOptions { Keepalive = 1500, Timeout = 2500, HttpsVerify = false });

        Assert.Equal(new ConnectionSettings(TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2500), false), settings);
    }
}
