using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// One endpoint of the proxies: the proxies whose routes have one shape (<c>/pets/{id}</c> and <c>/Pets/{petId}</c>),
/// chosen by method as Azure chose them. A method no enabled proxy lists answers 404, as on Azure, not 405; so does a
/// disabled proxy's route. Two shapes that routing could not tell apart would make it fail on every request, so one
/// endpoint serves them all, and a proxy whose parameter names differ from the endpoint's has its own matched again.
/// </summary>
internal sealed class ProxyRoute
{
    private readonly FunctionsProxy[] _proxies;
    private readonly TemplateMatcher?[] _ownNames;

    public ProxyRoute(IReadOnlyList<FunctionsProxy> proxies)
    {
        _proxies = [.. proxies];
        Pattern = _proxies[0].Pattern;
        _ownNames = [.. _proxies.Select(p => string.Equals(p.Route, _proxies[0].Route, StringComparison.Ordinal)
            ? null
            : new TemplateMatcher(TemplateParser.Parse(p.Route), new RouteValueDictionary()))];
    }

    /// <summary>The endpoint's pattern: its first proxy's.</summary>
    public RoutePattern Pattern { get; }

    public IReadOnlyList<FunctionsProxy> Proxies => _proxies;

    /// <summary>The enabled proxy for <paramref name="context"/>'s method, or <see langword="null"/> (404).</summary>
    public FunctionsProxy? Match(HttpContext context)
    {
        var method = context.Request.Method;
        for (var i = 0; i < _proxies.Length; i++)
        {
            var proxy = _proxies[i];
            if (!proxy.Disabled && proxy.Answers(method))
            {
                if (_ownNames[i] is { } matcher)
                {
                    var values = new RouteValueDictionary();
                    if (!matcher.TryMatch(context.Request.Path, values))
                    {
                        return null;
                    }

                    context.Request.RouteValues = values;
                }

                return proxy;
            }
        }

        return null;
    }

    /// <summary>
    /// The shape of <paramref name="pattern"/>: its literals in upper case, each parameter as its kind, constraints and
    /// default, without its name. Proxies of one shape share an endpoint.
    /// </summary>
    public static string ShapeOf(RoutePattern pattern) => string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content.ToUpperInvariant(),
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart parameter => "{" + (parameter.IsCatchAll ? "*" : string.Empty) + (parameter.IsOptional ? "?" : string.Empty)
            + string.Join(':', parameter.ParameterPolicies.Select(policy => policy.Content)) + "=" + parameter.Default + "}",
        _ => string.Empty,
    }))));
}
