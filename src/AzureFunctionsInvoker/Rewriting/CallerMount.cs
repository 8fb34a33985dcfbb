using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// What one mount knows of how callers address it, beyond the request itself: the literal start of an endpoint's
/// route pattern (a branch has none, its mount point being in <see cref="HttpRequest.PathBase"/>). One per mount, fixed before the first request.
/// </summary>
internal sealed class CallerMount
{
    /// <summary>The literal start of an endpoint's route pattern, route group prefixes included; empty for a branch.</summary>
    public PathString EndpointPrefix { get; set; }

    /// <summary>
    /// The function's path under the mount as the caller addresses it: <see cref="HttpRequest.PathBase"/>, then
    /// <see cref="EndpointPrefix"/>, URI-encoded, then <paramref name="suffix"/> (an app mount's <c>/{function}</c>).
    /// </summary>
    public string PathOf(HttpRequest request, string suffix) => string.Concat(request.PathBase.ToUriComponent(), EndpointPrefix.ToUriComponent(), suffix);

    /// <summary>The function's absolute address under the mount as the caller addresses it: the caller's scheme and host, then <see cref="PathOf"/>.</summary>
    public string AddressOf(HttpRequest request, string suffix) => string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), PathOf(request, suffix));
}
