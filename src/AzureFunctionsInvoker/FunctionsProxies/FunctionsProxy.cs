using Microsoft.AspNetCore.Routing.Patterns;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// One proxy of a <c>proxies.json</c>, resolved and validated at load: its route, methods, backend (none for a
/// response made of <c>responseOverrides</c> alone) and overrides. Immutable: a request keeps the proxy it matched
/// to the end, even when the file reloads meanwhile.
/// </summary>
internal sealed class FunctionsProxy
{
    public required string Name { get; init; }

    /// <summary><c>matchCondition.route</c> as the file has it.</summary>
    public required string Route { get; init; }

    public required RoutePattern Pattern { get; init; }

    public required RouteParameters Parameters { get; init; }

    /// <summary><c>matchCondition.methods</c> in upper case, or <see langword="null"/> for every method.</summary>
    public required string[]? Methods { get; init; }

    /// <summary><c>disabled</c>: the route answers 404.</summary>
    public bool Disabled { get; init; }

    /// <summary>Where requests go, or <see langword="null"/> when the response is made of the overrides alone.</summary>
    public ProxyBackend? Backend { get; init; }

    /// <summary><c>backend.request.method</c>, or <see langword="null"/>.</summary>
    public ProxyTemplate? MethodOverride { get; init; }

    /// <summary><c>backend.request.headers.&lt;name&gt;</c> but the key and client id the backend sends as its own.</summary>
    public IReadOnlyList<(string Name, ProxyTemplate Value)> HeaderOverrides { get; init; } = [];

    /// <summary><c>backend.request.querystring.&lt;name&gt;</c>, the name as the file spells it.</summary>
    public IReadOnlyList<(string Name, ProxyTemplate Value)> QueryOverrides { get; init; } = [];

    /// <summary>The response overrides, or <see langword="null"/> when there are none.</summary>
    public ProxyResponseOverrides? Response { get; init; }

    /// <summary>Whether <paramref name="method"/> is one the proxy answers.</summary>
    public bool Answers(string method) => Methods is null || Array.Exists(Methods, m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase));

    /// <summary>The methods as the startup log shows them.</summary>
    public string MethodsText => Methods is null ? "every method" : string.Join(',', Methods);
}
