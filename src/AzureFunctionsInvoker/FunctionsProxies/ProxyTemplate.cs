using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// A value of a proxy with its variables found once, at load: literal text (with <c>%SETTING%</c> values and
/// <c>{{</c> <c>}}</c> already resolved), route parameters, <c>request.*</c> and <c>backend.response.*</c> variables.
/// A setting's value is literal text: braces in it are no variables. Rendered per request.
/// </summary>
internal sealed class ProxyTemplate
{
    // A setting name: a letter or '_' first, so escapes such as %2F%20 stay literal text.
    private static readonly SearchValues<char> s_settingStart = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");
    private static readonly SearchValues<char> s_settingName = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-");

    private readonly TemplatePart[] _parts;

    private ProxyTemplate(TemplatePart[] parts)
    {
        _parts = parts;
        Constant = parts switch
        {
            [] => string.Empty,
            [{ Kind: TemplatePartKind.Literal } only] => only.Text,
            _ => null,
        };
    }

    /// <summary>A template of <paramref name="parts"/>, found already.</summary>
    public static ProxyTemplate Of(TemplatePart[] parts) => new(parts);

    /// <summary>The parts in order.</summary>
    public IReadOnlyList<TemplatePart> Parts => _parts;

    /// <summary>The value when it has no variables; else <see langword="null"/>.</summary>
    public string? Constant { get; }

    /// <summary>Whether a value comes from the caller: a route parameter or a <c>request.*</c> variable.</summary>
    public bool UsesCaller => _parts.Any(p => p.IsCallers);

    /// <summary>Whether a value comes from the backend's response.</summary>
    public bool UsesBackendResponse => _parts.Any(p => p.IsBackendResponse);

    /// <summary>
    /// Finds the variables of <paramref name="text"/>. <paramref name="setting"/> gives a setting's value (null when it
    /// does not exist), <paramref name="route"/> the route's parameters; <paramref name="fail"/> makes the exception
    /// for a message.
    /// </summary>
    public static ProxyTemplate Parse(string text, Func<string, string?> setting, RouteParameters? route, Func<string, Exception> fail)
    {
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{')
            {
                var end = text.IndexOf('}', i + 1);
                if (end < 0)
                {
                    throw fail($"'{{' at {i + 1} opens a variable that is never closed; write '{{{{' for a literal brace.");
                }

                Flush(parts, literal);
                parts.Add(Variable(text[(i + 1)..end], route, fail));
                i = end;
            }
            else if (c == '%' && SettingAt(text, i) is { } name)
            {
                literal.Append(setting(name) ?? throw fail($"the setting '{name}' (%{name}%) does not exist in the app's configuration or environment."));
                i += name.Length + 1;
            }
            else
            {
                literal.Append(c);
            }
        }

        Flush(parts, literal);
        return new ProxyTemplate([.. parts]);
    }

    /// <summary>The value for the current request; <paramref name="encoding"/> says how variables are written.</summary>
    public string Render(HttpContext context, RouteParameters? route, ReadOnlySpan<char> rawPath, TemplateEncoding encoding)
    {
        if (Constant is not null)
        {
            return Constant;
        }

        // Pooled buffers, one string: a proxy's address is made on every request.
        var value = new DefaultInterpolatedStringHandler(0, 0);
        foreach (var part in _parts)
        {
            if (part.Kind == TemplatePartKind.Literal)
            {
                value.AppendFormatted(part.Text);
            }
            else if (part.Kind == TemplatePartKind.RouteValue && encoding == TemplateEncoding.Path && route is not null && route.TryGetRaw(part.Text, rawPath, out var raw))
            {
                // Checked safe with the caller's path; the whole address is checked again once made.
                value.AppendFormatted(raw);
            }
            else
            {
                var variable = ValueOf(context, part);
                value.AppendFormatted(encoding switch
                {
                    TemplateEncoding.Plain => variable,
                    TemplateEncoding.Path when part.Kind == TemplatePartKind.RouteValue && route?.IsCatchAll(part.Text) == true =>
                        string.Join('/', variable.Split('/').Select(Uri.EscapeDataString)),
                    _ => Uri.EscapeDataString(variable),
                });
            }
        }

        return value.ToStringAndClear();
    }

    private static string ValueOf(HttpContext context, TemplatePart part) => part.Kind switch
    {
        TemplatePartKind.RouteValue => Convert.ToString(context.Request.RouteValues[part.Text], CultureInfo.InvariantCulture) ?? string.Empty,
        TemplatePartKind.RequestMethod => context.Request.Method,
        TemplatePartKind.RequestHeader => context.Request.Headers[part.Text].ToString(),
        TemplatePartKind.RequestQuery => context.Request.Query[part.Text].FirstOrDefault() ?? string.Empty,
        TemplatePartKind.BackendStatus => context.Response.StatusCode.ToString(CultureInfo.InvariantCulture),
        TemplatePartKind.BackendReason => ReasonPhrases.GetReasonPhrase(context.Response.StatusCode),
        TemplatePartKind.BackendHeader => context.Response.Headers[part.Text].ToString(),
        _ => part.Text,
    };

    private static TemplatePart Variable(string name, RouteParameters? route, Func<string, Exception> fail)
    {
        if (TryPrefixed(name, "request.headers.", out var header))
        {
            return new(TemplatePartKind.RequestHeader, header);
        }

        if (TryPrefixed(name, "request.querystring.", out var parameter))
        {
            return new(TemplatePartKind.RequestQuery, parameter);
        }

        if (TryPrefixed(name, "backend.response.headers.", out var responseHeader))
        {
            return new(TemplatePartKind.BackendHeader, responseHeader);
        }

        if (name.Equals("request.method", StringComparison.OrdinalIgnoreCase))
        {
            return new(TemplatePartKind.RequestMethod, name);
        }

        if (name.Equals("backend.response.statusCode", StringComparison.OrdinalIgnoreCase))
        {
            return new(TemplatePartKind.BackendStatus, name);
        }

        if (name.Equals("backend.response.statusReason", StringComparison.OrdinalIgnoreCase))
        {
            return new(TemplatePartKind.BackendReason, name);
        }

        return route is not null && route.Contains(name)
            ? new(TemplatePartKind.RouteValue, name)
            : throw fail($"'{{{name}}}' is neither a parameter of the route nor a request.* or backend.response.* variable; write '{{{{' and '}}}}' for literal braces.");
    }

    private static bool TryPrefixed(string name, string prefix, out string rest)
    {
        rest = name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name[prefix.Length..] : string.Empty;
        return rest.Length > 0;
    }

    // The name of a %SETTING% starting at text[start], or null when none starts there.
    private static string? SettingAt(string text, int start)
    {
        var rest = text.AsSpan(start + 1);
        if (rest.IsEmpty || !s_settingStart.Contains(rest[0]))
        {
            return null;
        }

        var length = rest.IndexOfAnyExcept(s_settingName);
        return length > 0 && rest[length] == '%' ? rest[..length].ToString() : null;
    }

    private static void Flush(List<TemplatePart> parts, StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            parts.Add(new(TemplatePartKind.Literal, literal.ToString()));
            literal.Clear();
        }
    }
}
