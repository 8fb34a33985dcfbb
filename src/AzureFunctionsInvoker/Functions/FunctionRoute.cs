using System.Globalization;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// Where one function lives: <c>{scheme}://{host}[:{port}]/{RoutePrefix}/{FunctionName}</c>, computed once
/// from the options. Per request only the caller's path below the mount point and query are appended. An app mount has
/// one per function it exposes, and one for the app whose function segment is <c>{function}</c>, for logs and the health check.
/// </summary>
internal sealed class FunctionRoute
{
    public FunctionRoute(AzureFunctionProxyOptions options)
        : this(options, options?.FunctionName ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>The route of the function <paramref name="functionName"/> of the Function App <paramref name="options"/> name.</summary>
    public FunctionRoute(AzureFunctionProxyOptions options, string functionName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(functionName);

        var scheme = options.Https ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        var host = HostNames.Of(options);
        if (Uri.CheckHostName(host) == UriHostNameType.IPv6)
        {
            host = $"[{host}]";
        }

        var port = options.Port is int p ? ":" + p.ToString(CultureInfo.InvariantCulture) : string.Empty;
        var routePrefix = options.RoutePrefix.Trim('/');
        var path = routePrefix.Length == 0 ? string.Empty : "/" + routePrefix;
        path += "/" + functionName.Trim('/');

        Address = $"{scheme}://{host}{port}{path}";
        FunctionUri = new Uri(Address, UriKind.Absolute);
    }

    /// <summary>The function's own address, with nothing appended.</summary>
    public Uri FunctionUri { get; }

    /// <summary>The function's own address as logs show it: scheme, host, port, route prefix and function name, never a key.</summary>
    public string Address { get; }

    /// <summary>
    /// The address for one request. <paramref name="rest"/> and <paramref name="query"/> are appended exactly as
    /// the caller sent them, percent-encoding included: <see cref="Uri"/> must neither decode nor re-encode them.
    /// <paramref name="rest"/> must already have passed <see cref="PathSafety.IsSafe"/>.
    /// </summary>
    public Uri Resolve(ReadOnlySpan<char> rest, string query) => RequestTarget.Append(FunctionUri, rest, query);

    /// <summary>The authority as a caller would see it in a log: scheme, host and port, never a key.</summary>
    public override string ToString() => FunctionUri.GetLeftPart(UriPartial.Authority);
}
