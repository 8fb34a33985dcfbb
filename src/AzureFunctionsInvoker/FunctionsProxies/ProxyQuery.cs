using System.Text;
using Microsoft.AspNetCore.Http;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The query a proxied request sends, as Azure Functions Proxies made it: the <c>backendUri</c>'s own query, then the
/// caller's parameters (as the caller encoded them, in the caller's order), then each
/// <c>backend.request.querystring.&lt;name&gt;</c> as <c>name=value</c> (present even when empty). A parameter the file
/// sets, in the <c>backendUri</c> or an override, is the file's: the caller's parameters of that name (in any case) are
/// left out, so a caller cannot add a second <c>code</c> beside the file's.
/// </summary>
internal static class ProxyQuery
{
    /// <summary>The query with its <c>?</c>, or empty.</summary>
    public static string Make(HttpContext context, FunctionsProxy proxy, ProxyBackend backend, ReadOnlySpan<char> rawPath, string callerQuery)
    {
        var overrides = proxy.QueryOverrides;
        if (backend.Query is null && overrides.Count == 0)
        {
            return callerQuery;
        }

        var own = backend.Query?.Render(context, proxy.Parameters, rawPath, TemplateEncoding.Query) ?? string.Empty;
        var fileNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in overrides)
        {
            fileNames.Add(name);
        }

        var query = new StringBuilder(own.Length + callerQuery.Length + 32);
        foreach (var pair in own.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            fileNames.Add(NameOf(pair));
            Append(query, pair);
        }

        if (callerQuery.Length > 1)
        {
            foreach (var pair in callerQuery[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!fileNames.Contains(NameOf(pair)))
                {
                    Append(query, pair);
                }
            }
        }

        foreach (var (name, value) in overrides)
        {
            Append(query, Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value.Render(context, proxy.Parameters, rawPath, TemplateEncoding.Plain)));
        }

        return query.Length == 0 ? string.Empty : "?" + query;
    }

    // A parameter's name as a query string reader decodes it ('+' is a space).
    private static string NameOf(string pair)
    {
        var end = pair.IndexOf('=');
        var name = end < 0 ? pair : pair[..end];
        return Uri.UnescapeDataString(name.Replace('+', ' '));
    }

    private static void Append(StringBuilder query, string pair)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(pair);
    }
}
