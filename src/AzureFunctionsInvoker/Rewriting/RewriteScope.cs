using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// What rewriting one response is keyed on: the origin the request was actually sent to (scheme, host and port of
/// <paramref name="Target"/>), the function's route path on it, and the mount as this caller addresses it.
/// Nothing is computed until a header or body needs it, so a response with nothing to rewrite costs nothing.
/// </summary>
/// <param name="Target">The address the request was sent to.</param>
/// <param name="FunctionPath">The function's route on that origin, e.g. <c>/api/hello</c>, without a trailing slash.</param>
/// <param name="Caller">The caller's request, for its scheme, host and path base.</param>
/// <param name="EndpointPrefix">
/// The literal start of the mount's endpoint route pattern, route group prefixes included; empty for a branch, whose
/// mount point is in <see cref="HttpRequest.PathBase"/> already.
/// </param>
/// <param name="Options">The function's options.</param>
/// <param name="MountSuffix">What follows the mount's path in the caller's address of the function: an app mount's <c>/{function}</c>, else empty.</param>
internal readonly record struct RewriteScope(Uri Target, string FunctionPath, HttpRequest Caller, PathString EndpointPrefix, AzureFunctionProxyOptions Options, string MountSuffix = "")
{
    /// <summary>
    /// The function's path under the mount, as the caller addresses it: <see cref="HttpRequest.PathBase"/>, then
    /// <see cref="EndpointPrefix"/>, URI-encoded, then <see cref="MountSuffix"/>.
    /// </summary>
    public string MountPath => string.Concat(Caller.PathBase.ToUriComponent(), EndpointPrefix.ToUriComponent(), MountSuffix);

    /// <summary>The function's absolute address under the mount, as the caller addresses it: the caller's scheme and host, then <see cref="MountPath"/>.</summary>
    public string MountAddress => string.Concat(Caller.Scheme, "://", Caller.Host.ToUriComponent(), MountPath);

    /// <summary>Whether the options rewrite anything at all.</summary>
    public static bool AnyEnabled(AzureFunctionProxyOptions options) =>
        options.RewriteRedirects || options.RewriteCookies || DurableLinksEnabled(options);

    /// <summary>Whether Durable management URLs become links through the proxy.</summary>
    public static bool DurableLinksEnabled(AzureFunctionProxyOptions options) => !string.IsNullOrEmpty(options.DurableLinksPath);
}
