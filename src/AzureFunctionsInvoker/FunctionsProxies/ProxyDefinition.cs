namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// One proxy of a <c>proxies.json</c> as the file states it, before anything is resolved: its name and elements, each
/// with the line it is on, for messages that name the line to fix.
/// </summary>
internal sealed class ProxyDefinition(string name, int line)
{
    public string Name { get; } = name;

    /// <summary>The line of the proxy's name.</summary>
    public int Line { get; } = line;

    /// <summary><c>matchCondition.route</c>, or <see langword="null"/> when missing.</summary>
    public ProxyElement? Route { get; set; }

    /// <summary><c>matchCondition.methods</c>, or <see langword="null"/> when missing (every method).</summary>
    public IReadOnlyList<ProxyElement>? Methods { get; set; }

    /// <summary><c>backendUri</c>, or <see langword="null"/> when missing (a response made of <c>responseOverrides</c> alone).</summary>
    public ProxyElement? BackendUri { get; set; }

    /// <summary><c>disabled</c>: the route answers 404.</summary>
    public bool Disabled { get; set; }

    /// <summary>The entries of <c>requestOverrides</c>, in file order.</summary>
    public List<ProxyElement> RequestOverrides { get; } = [];

    /// <summary>The entries of <c>responseOverrides</c>, in file order.</summary>
    public List<ProxyElement> ResponseOverrides { get; } = [];
}
