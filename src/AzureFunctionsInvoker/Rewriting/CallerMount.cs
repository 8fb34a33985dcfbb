using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.Rewriting;

/// <summary>
/// What one mount knows of how callers address it, beyond the request itself: the literal start of an endpoint's
/// route pattern (a branch has none, its mount point being in <see cref="HttpRequest.PathBase"/>), and the protector
/// of the Durable links of its function. One per mount, fixed before the first request.
/// </summary>
internal sealed class CallerMount
{
    public CallerMount(DurableLinkProtector links)
    {
        Links = links;
    }

    /// <summary>The literal start of an endpoint's route pattern, route group prefixes included; empty for a branch.</summary>
    public PathString EndpointPrefix { get; set; }

    /// <summary>Protects and reads the Durable links of the mount's function.</summary>
    public DurableLinkProtector Links { get; }

    /// <summary>The mount's path as the caller addresses it: <see cref="HttpRequest.PathBase"/>, then <see cref="EndpointPrefix"/>, URI-encoded.</summary>
    public string PathOf(HttpRequest request) => string.Concat(request.PathBase.ToUriComponent(), EndpointPrefix.ToUriComponent());

    /// <summary>The mount's absolute address as the caller addresses it: the caller's scheme and host, then <see cref="PathOf"/>.</summary>
    public string AddressOf(HttpRequest request) => string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), PathOf(request));
}
