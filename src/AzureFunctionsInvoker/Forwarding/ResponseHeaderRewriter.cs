using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Rewriting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// Rewrites what the function's response headers say about its own address, once they are copied to the caller's
/// response: <c>Location</c> and <c>Content-Location</c> (a Durable management URL into a link, one on the function's
/// route onto the mount) and each <c>Set-Cookie</c>, every value of each. A response without these headers is only looked at.
/// </summary>
internal static class ResponseHeaderRewriter
{
    private delegate string? ValueRewriter(string value, in RewriteScope scope, DurableLinkProtector links);

    /// <summary>
    /// Rewrites the headers; returns whether the <c>Location</c> was a Durable management URL, which makes the response
    /// one of Durable's own (a starter's <c>CreateCheckStatusResponse</c>, a running instance's status) whatever its framing.
    /// </summary>
    public static bool Rewrite(IHeaderDictionary headers, in RewriteScope scope, DurableLinkProtector links)
    {
        var options = scope.Options;
        var durable = false;
        if (options.RewriteRedirects || RewriteScope.DurableLinksEnabled(options))
        {
            if (headers.Location.Count > 0)
            {
                durable = RewriteScope.DurableLinksEnabled(options) && AnyIsManagementUrl(headers.Location, scope.Target);
                if (RewriteEach(headers.Location, scope, links, RewriteReference) is { } location)
                {
                    headers.Location = location;
                }
            }

            if (headers.ContentLocation.Count > 0 && RewriteEach(headers.ContentLocation, scope, links, RewriteReference) is { } contentLocation)
            {
                headers.ContentLocation = contentLocation;
            }
        }

        if (options.RewriteCookies && headers.SetCookie.Count > 0 && RewriteEach(headers.SetCookie, scope, links, static (value, in scope, _) => CookieRewriter.Rewrite(value, scope)) is { } cookies)
        {
            headers.SetCookie = cookies;
        }

        return durable;
    }

    private static bool AnyIsManagementUrl(StringValues values, Uri target)
    {
        foreach (var value in values)
        {
            if (value is not null && MayBeManagementUrl(value) && DurableUrlRewriter.IsManagementUrl(value, target))
            {
                return true;
            }
        }

        return false;
    }

    private static string? RewriteReference(string value, in RewriteScope scope, DurableLinkProtector links) =>
        (RewriteScope.DurableLinksEnabled(scope.Options) && MayBeManagementUrl(value) ? DurableUrlRewriter.Rewrite(value, scope, links) : null)
        ?? (scope.Options.RewriteRedirects ? RedirectRewriter.Rewrite(value, scope) : null);

    // A management URL's path starts with the webhook path: a value without it is none, and is judged no further.
    private static bool MayBeManagementUrl(string value) => value.Contains(DurableLink.WebhookPath, StringComparison.OrdinalIgnoreCase);

    // The values with those the rewriter changed replaced, in their order; null when none changed.
    private static StringValues? RewriteEach(StringValues values, in RewriteScope scope, DurableLinkProtector links, ValueRewriter rewrite)
    {
        string[]? rewritten = null;
        for (var i = 0; i < values.Count; i++)
        {
            if (rewrite(values[i] ?? string.Empty, scope, links) is { } value)
            {
                rewritten ??= values.ToArray()!;
                rewritten[i] = value;
            }
        }

        return rewritten is null ? null : (StringValues?)new StringValues(rewritten);
    }
}
