using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Tests.Connections;

public sealed class FunctionHttpHandlerRequestMessageTests
{
    private static readonly Uri s_target = new("https://myapp.azurewebsites.net/api/hello");

    [Fact]
    public void A_copy_that_kept_the_options_finds_the_forwarded_request_and_its_mounts_settings()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        var settings = new ConnectionSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7), VerifyCertificate: false);
        using var original = new FunctionHttpHandler.FunctionRequestMessage(HttpMethod.Get, s_target, settings, timeout);
        original.TravelInOptions();

        // What a hedging handler does: a new message with the original's options.
        using var copy = new HttpRequestMessage(HttpMethod.Get, s_target);
        foreach (var (key, value) in original.Options)
        {
            copy.Options.Set(new HttpRequestOptionsKey<object?>(key), value);
        }

        Assert.Same(original, FunctionHttpHandler.FunctionRequestMessage.Of(copy));
        Assert.Equal(settings, FunctionHttpHandler.FunctionRequestMessage.Of(copy)!.Connection);
    }

    [Fact]
    public void A_request_the_app_built_itself_is_no_forwarded_request()
    {
        using var own = new HttpRequestMessage(HttpMethod.Get, s_target);

        Assert.Null(FunctionHttpHandler.FunctionRequestMessage.Of(own));
    }
}
