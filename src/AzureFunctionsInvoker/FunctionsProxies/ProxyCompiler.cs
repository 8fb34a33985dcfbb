using System.Globalization;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Configuration;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// Turns a <see cref="ProxyDefinition"/> into a <see cref="FunctionsProxy"/>: resolves <c>%SETTING%</c>, finds the
/// variables, and refuses, naming the proxy, the element and the line, what Azure Functions Proxies would have
/// accepted but this port must not: a caller's value in the scheme, host or port of a <c>backendUri</c>, a
/// <c>localhost</c> backend without <c>LocalFunctionApp</c>, TRACE or CONNECT.
/// </summary>
internal sealed class ProxyCompiler(string file, IConfiguration configuration, FunctionsProxiesOptions options, LocalFunctionApp? local, ConnectionSettings connection)
{
    private const string FunctionsKey = "x-functions-key";
    private const string FunctionsClientId = "x-functions-clientid";
    private const string ProxyTraceEnabled = "Proxy-Trace-Enabled";
    private const string MethodKey = "backend.request.method";
    private const string HeadersPrefix = "backend.request.headers.";
    private const string QueryPrefix = "backend.request.querystring.";
    private const string StatusCodeKey = "response.statusCode";
    private const string StatusReasonKey = "response.statusReason";
    private const string BodyKey = "response.body";
    private const string ResponseHeadersPrefix = "response.headers.";

    public FunctionsProxy Compile(ProxyDefinition proxy)
    {
        var route = proxy.Route ?? throw ProxiesFileException.At(file, proxy.Name, "matchCondition.route", proxy.Line, "is required.");
        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(route.Value);
        }
        catch (RoutePatternException e)
        {
            throw ProxiesFileException.At(file, proxy.Name, route.Name, route.Line, "not a valid route template: " + e.Message);
        }

        var parameters = new RouteParameters(pattern);
        var methods = proxy.Methods?.Select(m => Method(proxy, m)).Distinct(StringComparer.Ordinal).ToArray();
        var (apiKey, clientId, headers, query, method) = RequestOverrides(proxy, parameters);
        var backend = proxy.BackendUri is { } uri ? Backend(proxy, uri, parameters, apiKey, clientId, query) : null;
        return new FunctionsProxy
        {
            Name = proxy.Name,
            Route = route.Value,
            Pattern = pattern,
            Parameters = parameters,
            Methods = methods,
            Disabled = proxy.Disabled,
            Backend = backend,
            MethodOverride = method,
            HeaderOverrides = headers,
            QueryOverrides = query,
            Response = ResponseOverrides(proxy, parameters, hasBackend: backend is not null),
        };
    }

    private string Method(ProxyDefinition proxy, ProxyElement method)
    {
        var name = method.Value.Trim().ToUpperInvariant();
        return HeaderNameCharacters.IsToken(name)
            ? name
            : throw ProxiesFileException.At(file, proxy.Name, method.Name, method.Line, $"'{method.Value}' is not an HTTP method.");
    }

    private (string? ApiKey, string? ClientId, List<(string, ProxyTemplate)> Headers, List<(string, ProxyTemplate)> Query, ProxyTemplate? Method) RequestOverrides(ProxyDefinition proxy, RouteParameters parameters)
    {
        string? apiKey = null, clientId = null;
        ProxyTemplate? method = null;
        var headers = new List<(string, ProxyTemplate)>();
        var query = new List<(string, ProxyTemplate)>();
        foreach (var element in proxy.RequestOverrides)
        {
            var template = Template(proxy, element, parameters, backendResponse: false);
            if (element.Name.Equals(MethodKey, StringComparison.OrdinalIgnoreCase))
            {
                if (template.Constant is { } constant && (!HeaderNameCharacters.IsToken(constant) || HttpMethods.IsTrace(constant) || HttpMethods.IsConnect(constant)))
                {
                    throw ProxiesFileException.At(file, proxy.Name, element.Name, element.Line, $"'{element.Value}' is not a method a proxy sends (TRACE and CONNECT never are).");
                }

                method = template;
            }
            else if (TrySuffix(element.Name, HeadersPrefix, out var header))
            {
                if (!HeaderNameCharacters.IsToken(header))
                {
                    throw ProxiesFileException.At(file, proxy.Name, element.Name, element.Line, $"'{header}' is not a header name.");
                }

                // The forward copies it as the body's length without a check: "" or "5, 9" went beside a chunked body.
                if (header.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    throw ProxiesFileException.At(file, proxy.Name, element.Name, element.Line, "Content-Length is the caller's body's own: the proxy frames the body it sends.");
                }

                if (header.Equals(ProxyTraceEnabled, StringComparison.OrdinalIgnoreCase))
                {
                    throw ProxiesFileException.At(file, proxy.Name, element.Name, element.Line, "Proxy-Trace-Enabled is never sent: proxies are not traced to files.");
                }

                // A key the file gives is the backend's key, sent and protected as a function's ApiKey is.
                if (template.Constant is { Length: > 0 } key && header.Equals(FunctionsKey, StringComparison.OrdinalIgnoreCase))
                {
                    apiKey = key;
                }
                else if (template.Constant is { Length: > 0 } id && header.Equals(FunctionsClientId, StringComparison.OrdinalIgnoreCase))
                {
                    clientId = id;
                }
                else
                {
                    headers.Add((header, template));
                }
            }
            else if (TrySuffix(element.Name, QueryPrefix, out var parameter))
            {
                query.Add((parameter, template));
            }
            else
            {
                throw ProxiesFileException.At(file, proxy.Name, element.Name, element.Line,
                    "unknown element: requestOverrides holds backend.request.method, backend.request.headers.<name> and backend.request.querystring.<name>.");
            }
        }

        return (apiKey, clientId, headers, query, method);
    }

    private ProxyResponseOverrides? ResponseOverrides(ProxyDefinition proxy, RouteParameters parameters, bool hasBackend)
    {
        if (proxy.ResponseOverrides.Count == 0)
        {
            return null;
        }

        ProxyTemplate? status = null, reason = null, body = null;
        var headers = new List<(string, ProxyTemplate)>();
        foreach (var element in proxy.ResponseOverrides)
        {
            var template = element.IsJson ? Literal(element.Value) : Template(proxy, element, parameters, backendResponse: hasBackend);
            if (element.IsJson && !element.Name.Equals(BodyKey, StringComparison.OrdinalIgnoreCase))
            {
                throw Failure(proxy, element, "must be a string; only response.body may be written as JSON.");
            }

            if (element.Name.Equals(StatusCodeKey, StringComparison.OrdinalIgnoreCase))
            {
                if (template.Constant is { } constant && !IsStatusCode(constant))
                {
                    throw Failure(proxy, element, $"'{element.Value}' is not a status code (200 to 599).");
                }

                status = template;
            }
            else if (element.Name.Equals(StatusReasonKey, StringComparison.OrdinalIgnoreCase))
            {
                reason = template;
            }
            else if (element.Name.Equals(BodyKey, StringComparison.OrdinalIgnoreCase))
            {
                body = template;
            }
            else if (TrySuffix(element.Name, ResponseHeadersPrefix, out var header) && HeaderNameCharacters.IsToken(header))
            {
                headers.Add((header, template));
            }
            else
            {
                throw Failure(proxy, element,
                    "unknown element: responseOverrides holds response.statusCode, response.statusReason, response.body and response.headers.<name>.");
            }
        }

        return new ProxyResponseOverrides { StatusCode = status, StatusReason = reason, Body = body, Headers = headers };
    }

    private ProxyBackend Backend(ProxyDefinition proxy, ProxyElement element, RouteParameters parameters, string? apiKey, string? clientId, List<(string Name, ProxyTemplate Value)> queryOverrides)
    {
        var template = Template(proxy, element, parameters, backendResponse: false);
        var parts = template.Parts;

        // The scheme, host and port are the file's and the app's settings' alone.
        var first = parts.Count > 0 && parts[0].Kind == TemplatePartKind.Literal ? parts[0].Text : string.Empty;
        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal);
        var authorityEnd = schemeEnd < 0 ? -1 : first.IndexOfAny(['/', '?', '#'], schemeEnd + 3);
        if (authorityEnd < 0 && parts.Count > 1)
        {
            throw Failure(proxy, element, "a route parameter or request.* variable may appear only in the path and query of a backendUri, never in its scheme, host or port: a caller must not choose where the proxy connects.");
        }

        var origin = authorityEnd < 0 ? first : first[..authorityEnd];
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.UserInfo.Length > 0 || uri.Host.Length == 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            throw Failure(proxy, element, "must be an absolute http or https URL (scheme, host and optionally port, then the path).");
        }

        // The rest, split at the first literal '?' into the path and the backendUri's own query.
        var rest = new List<TemplatePart>();
        if (authorityEnd >= 0)
        {
            rest.Add(new(TemplatePartKind.Literal, first[authorityEnd..]));
        }

        rest.AddRange(parts.Skip(1));
        var (path, query) = SplitQuery(proxy, element, rest);
        var authority = uri.GetLeftPart(UriPartial.Authority);
        var code = CodeOf(query, queryOverrides);
        var isLocal = uri.IsDefaultPort && uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !origin.EndsWith(":" + uri.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (isLocal)
        {
            if (local is null)
            {
                throw Failure(proxy, element, "a backendUri on localhost calls a function of the same Function App: set FunctionsProxies:LocalFunctionApp to the name of the function (registered with AddAzureFunctionProxy) whose Function App that is.");
            }

            return new ProxyBackend(authority, local, CarriesCode(query), apiKey, clientId, path, query) { Code = code };
        }

        var backendOptions = new AzureFunctionProxyOptions
        {
            FunctionName = proxy.Name,
            AppName = uri.IdnHost,
            HostDomain = string.Empty,
            RoutePrefix = string.Empty,
            Https = uri.Scheme == Uri.UriSchemeHttps,
            Port = uri.IsDefaultPort ? null : uri.Port,
            ApiKey = apiKey,
            ClientId = clientId,
            Timeout = options.Timeout,
            Keepalive = options.Keepalive,
            HttpsVerify = options.HttpsVerify,
            MaxRequestBodySize = options.MaxRequestBodySize,
            RequestBodyFraming = options.RequestBodyFraming,
            HttpVersion = options.HttpVersion,
            MaxConnectionsPerBackend = options.MaxConnectionsPerBackend,
            AddXForwardedHeaders = options.AddXForwardedHeaders,
            RewriteRedirects = false,
            RewriteCookies = false,
            DurableLinksPath = string.Empty,
            // The host reads a key header before code: a caller's own must not replace the file's.
            RemoveRequestHeaders = code is null ? [ProxyTraceEnabled] : [ProxyTraceEnabled, FunctionsKey],
        };
        var backend = new Backend(proxy.Name, backendOptions, connection, new Uri(authority + "/"));
        return new ProxyBackend(authority, BackendPool.Of(backend), path, query) { Code = code };
    }

    private (ProxyTemplate Path, ProxyTemplate? Query) SplitQuery(ProxyDefinition proxy, ProxyElement element, List<TemplatePart> parts)
    {
        var path = new List<TemplatePart>();
        List<TemplatePart>? query = null;
        foreach (var part in parts)
        {
            if (part.Kind == TemplatePartKind.Literal)
            {
                if (part.Text.Contains('#') || !RequestTarget.CanCarry(part.Text))
                {
                    throw Failure(proxy, element, "holds a character a request line cannot carry (a space, a control or non-ASCII character, or '#'): percent-encode it.");
                }

                var mark = query is null ? part.Text.IndexOf('?') : -1;
                if (mark >= 0)
                {
                    path.Add(part with { Text = part.Text[..mark] });
                    query = [part with { Text = part.Text[(mark + 1)..] }];
                    continue;
                }
            }

            (query ?? path).Add(part);
        }

        // The path below the origin's '/': what PoolForwarder appends to the backend's address.
        if (path.Count > 0 && path[0].Kind == TemplatePartKind.Literal && path[0].Text.StartsWith('/'))
        {
            path[0] = path[0] with { Text = path[0].Text[1..] };
        }

        return (ProxyTemplate.Of([.. path.Where(p => p.Kind != TemplatePartKind.Literal || p.Text.Length > 0)]),
            query is null ? null : ProxyTemplate.Of([.. query.Where(p => p.Kind != TemplatePartKind.Literal || p.Text.Length > 0)]));
    }

    // Whether the backendUri's own query names code: the function key, which the host reads from a header first.
    private static bool CarriesCode(ProxyTemplate? query) =>
        query?.Parts.Any(p => p.Kind == TemplatePartKind.Literal && p.Text.Split('&').Any(pair => pair.Split('=')[0].Equals("code", StringComparison.OrdinalIgnoreCase))) == true;

    // The code the file sends in the query, decoded: a constant override wins, as the backend reads the last one.
    private static string? CodeOf(ProxyTemplate? query, List<(string Name, ProxyTemplate Value)> overrides)
    {
        var code = overrides.LastOrDefault(o => o.Name.Equals("code", StringComparison.OrdinalIgnoreCase)).Value?.Constant;
        code ??= query?.Parts.Where(p => p.Kind == TemplatePartKind.Literal)
            .SelectMany(p => p.Text.Split('&'))
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Equals("code", StringComparison.OrdinalIgnoreCase))
            .Select(pair => Uri.UnescapeDataString(pair[1]))
            .FirstOrDefault();
        return string.IsNullOrEmpty(code) ? null : code;
    }

    private ProxyTemplate Template(ProxyDefinition proxy, ProxyElement element, RouteParameters parameters, bool backendResponse)
    {
        var template = ProxyTemplate.Parse(element.Value, name => configuration[name], parameters, message => Failure(proxy, element, message));
        if (!backendResponse && template.UsesBackendResponse)
        {
            throw Failure(proxy, element, "backend.response.* variables are known only in responseOverrides of a proxy with a backendUri.");
        }

        return template;
    }

    private static ProxyTemplate Literal(string text) => ProxyTemplate.Of([new(TemplatePartKind.Literal, text)]);

    private static bool IsStatusCode(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 200 and <= 599;

    private static bool TrySuffix(string name, string prefix, out string suffix)
    {
        suffix = name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name[prefix.Length..] : string.Empty;
        return suffix.Length > 0;
    }

    private ProxiesFileException Failure(ProxyDefinition proxy, ProxyElement element, string message) =>
        ProxiesFileException.At(file, proxy.Name, element.Name, element.Line, message);
}
