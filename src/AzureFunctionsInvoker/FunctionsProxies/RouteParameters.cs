using Microsoft.AspNetCore.Routing.Patterns;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The parameters of a proxy's route template, and where each one that is a whole segment sits, so that its value can
/// be taken from the caller's path as the caller encoded it (<c>a%2Fb</c> stays one segment, a catch-all keeps its
/// segments) rather than re-encoded from routing's decoded value.
/// </summary>
internal sealed class RouteParameters
{
    private readonly Dictionary<string, (int Segment, bool CatchAll)> _parameters = new(StringComparer.OrdinalIgnoreCase);

    public RouteParameters(RoutePattern pattern)
    {
        for (var i = 0; i < pattern.PathSegments.Count; i++)
        {
            var parts = pattern.PathSegments[i].Parts;
            foreach (var part in parts)
            {
                if (part is RoutePatternParameterPart parameter)
                {
                    // -1: inside a segment with other parts ({a}.{b}), taken from routing's value.
                    _parameters[parameter.Name] = (parts.Count == 1 ? i : -1, parameter.IsCatchAll);
                }
            }
        }
    }

    public bool Contains(string name) => _parameters.ContainsKey(name);

    public bool IsCatchAll(string name) => _parameters.TryGetValue(name, out var parameter) && parameter.CatchAll;

    /// <summary>
    /// The value of <paramref name="name"/> in <paramref name="rawPath"/> (the caller's path below the path base, as
    /// encoded, starting with <c>/</c>): its segment, or for a catch-all everything from its segment on. False when the
    /// parameter is not a whole segment, or the path has no such segment (an optional parameter left out).
    /// </summary>
    public bool TryGetRaw(string name, ReadOnlySpan<char> rawPath, out ReadOnlySpan<char> value)
    {
        value = default;
        if (!_parameters.TryGetValue(name, out var parameter) || parameter.Segment < 0 || rawPath.IsEmpty || rawPath[0] != '/')
        {
            return false;
        }

        var rest = rawPath[1..];
        for (var i = 0; i < parameter.Segment; i++)
        {
            var slash = rest.IndexOf('/');
            if (slash < 0)
            {
                return false;
            }

            rest = rest[(slash + 1)..];
        }

        if (!parameter.CatchAll)
        {
            var end = rest.IndexOf('/');
            rest = end < 0 ? rest : rest[..end];
        }

        value = rest;
        return true;
    }
}
