namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The proxies of one version of the file, grouped into <see cref="ProxyRoute"/>s, one endpoint each. Two enabled
/// proxies with the same route and a method in common are an error naming both: Azure would have served one of them
/// at random.
/// </summary>
internal sealed class ProxyTable
{
    private ProxyTable(IReadOnlyList<FunctionsProxy> proxies, IReadOnlyList<ProxyRoute> routes)
    {
        Proxies = proxies;
        Routes = routes;
    }

    public IReadOnlyList<FunctionsProxy> Proxies { get; }

    public IReadOnlyList<ProxyRoute> Routes { get; }

    /// <exception cref="ProxiesFileException">Two enabled proxies answer the same route and method.</exception>
    public static ProxyTable Build(IReadOnlyList<FunctionsProxy> proxies, string file)
    {
        var routes = new List<ProxyRoute>();
        foreach (var shape in proxies.GroupBy(p => ProxyRoute.ShapeOf(p.Pattern), StringComparer.Ordinal))
        {
            var group = shape.ToList();
            var enabled = group.Where(p => !p.Disabled).ToList();
            for (var i = 0; i < enabled.Count; i++)
            {
                for (var j = i + 1; j < enabled.Count; j++)
                {
                    if (Overlap(enabled[i], enabled[j]))
                    {
                        throw ProxiesFileException.At(file, enabled[j].Name, "matchCondition", 0,
                            $"the proxies '{enabled[i].Name}' and '{enabled[j].Name}' both answer the route '{enabled[j].Route}' for {Common(enabled[i], enabled[j])}: give them different routes or methods.");
                    }
                }
            }

            routes.Add(new ProxyRoute(group));
        }

        return new ProxyTable(proxies, routes);
    }

    private static bool Overlap(FunctionsProxy a, FunctionsProxy b) =>
        a.Methods is null || b.Methods is null || a.Methods.Intersect(b.Methods, StringComparer.Ordinal).Any();

    private static string Common(FunctionsProxy a, FunctionsProxy b) =>
        a.Methods is null && b.Methods is null ? "every method" : string.Join(',', (a.Methods ?? b.Methods!).Intersect(b.Methods ?? a.Methods!, StringComparer.Ordinal));
}
