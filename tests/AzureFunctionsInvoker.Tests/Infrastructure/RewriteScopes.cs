using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// What the unit tests of the rewriters rewrite for: a caller of <c>https://app.example.com/base/orders</c> (path base
/// <c>/base</c>, endpoint prefix <c>/orders</c>) whose request went to <c>https://myapp.azurewebsites.net/api/hello/x</c>.
/// </summary>
internal static class RewriteScopes
{
    public const string MountAddress = "https://app.example.com/base/orders";

    public static RewriteScope For(string sentTo = "https://myapp.azurewebsites.net/api/hello/x", string functionPath = "/api/hello", AzureFunctionProxyOptions? options = null, string mountSuffix = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.com");
        context.Request.PathBase = "/base";
        return new RewriteScope(new Uri(sentTo), functionPath, context.Request, "/orders", options ?? new AzureFunctionProxyOptions(), mountSuffix);
    }

    /// <summary>A protector of the function <c>Hello</c>'s links, with keys of its own.</summary>
    public static DurableLinkProtector Links(TimeProvider? time = null) => new(new EphemeralDataProtectionProvider(), "Hello", time ?? TimeProvider.System);
}
