using System.Net;
using System.Security.Cryptography;
using AzureFunctionsInvoker;

namespace MinimalApi;

/// <summary>
/// A stand-in for the Azure Functions "hello world" function, served on a loopback port of its own so the
/// sample answers with no Azure account. Like Azure it refuses calls without the function key.
/// </summary>
internal static class DemoFunction
{
    /// <summary>Starts the demo function and points <paramref name="options"/> at it, with a fresh key.</summary>
    public static async Task<WebApplication> StartAsync(AzureFunctionProxyOptions options)
    {
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        if (string.IsNullOrEmpty(options.FunctionName))
        {
            options.FunctionName = "hello";
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var function = builder.Build();

        var route = $"/{options.RoutePrefix.Trim('/')}/{options.FunctionName.Trim('/')}/{{**rest}}".Replace("//", "/", StringComparison.Ordinal);
        function.Map(route, (HttpRequest request, string? name) =>
            request.Headers["x-functions-key"] == key
                ? Results.Text($"Hello {name ?? "World"}!")
                : Results.Unauthorized());

        await function.StartAsync();
        var address = new Uri(function.Urls.First());

        options.AppName = address.Host;
        options.HostDomain = string.Empty;
        options.Port = address.Port;
        options.Https = false;
        options.ApiKey = key;
        return function;
    }
}
