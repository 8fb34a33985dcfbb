using System.Collections.Frozen;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The proxy's choices about headers, beside what HTTP requires of any proxy (<see cref="HeaderRules"/>): the headers
/// that let a caller override the URL or method the function's framework sees or an identity Azure vouches for, the
/// headers the proxy sets itself (the key, the client id, <c>X-Forwarded-*</c>) and their forgeable kin, the function's
/// own key and client id in a response that reflects them, and the user's <c>RemoveRequestHeaders</c> and
/// <c>RemoveResponseHeaders</c>. Made once per set of a backend's options: every name to drop, HTTP's hop-by-hop ones
/// included, is in one frozen set per direction, so a request reads no option per header.
/// </summary>
internal sealed class HeaderPolicy
{
    /// <summary>The function key's header.</summary>
    public const string FunctionsKey = "x-functions-key";

    /// <summary>The client id's header.</summary>
    public const string FunctionsClientId = "x-functions-clientid";

    private const string XForwardedPrefix = "X-Forwarded-";

    private static readonly string[] s_requestDropped =
    [
        // IIS URL Rewrite and several frameworks replace the request's URL or method with these after every check the
        // proxy made on the real ones.
        "X-Original-URL",
        "X-Rewrite-URL",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",

        // App Service's front end sets it to the URL it received; a framework behind it may rebuild the URL from it.
        "X-WAWS-Unencoded-URL",
    ];

    // Identities App Service Authentication vouches for: a function that trusts them must get them from Azure only.
    private static readonly string[] s_azureIdentityPrefixes = ["X-MS-CLIENT-PRINCIPAL", "X-MS-TOKEN-"];

    // Client addresses a caller could forge next to the X-Forwarded-* the proxy sets (while it sets them).
    private static readonly string[] s_forgeableClientAddress = ["Forwarded", "X-Real-IP", "True-Client-IP", "X-Client-IP"];

    private static readonly string[] s_responseDropped =
    [
        // Alternative services of the function's host are not alternatives for this app's host.
        "Alt-Svc",

        // A function that reflects its request (a TRACE-like echo, a debug endpoint) would hand out the key.
        FunctionsKey,
        FunctionsClientId,
    ];

    private readonly FrozenSet<string> _requestDropped;
    private readonly FrozenSet<string> _responseDropped;

    /// <summary>The policy of <paramref name="options"/>, a backend's.</summary>
    public HeaderPolicy(AzureFunctionProxyOptions options)
    {
        ApiKey = string.IsNullOrEmpty(options.ApiKey) ? null : options.ApiKey;
        ClientId = string.IsNullOrEmpty(options.ClientId) ? null : options.ClientId;
        AddXForwardedHeaders = options.AddXForwardedHeaders;

        var request = new List<string>(HeaderRules.LeftBehindInRequests);
        request.AddRange(s_requestDropped);

        // Judged as DropsRequestHeader judges a caller's name: X_Custom and X-Custom are one name to a CGI-style reader.
        request.AddRange(options.RemoveRequestHeaders.Select(static name => name.Replace('_', '-')));

        // The proxy's own, when configured: replaced after the copy, and no twin may ride beside them.
        if (ApiKey is not null)
        {
            request.Add(FunctionsKey);
        }

        if (ClientId is not null)
        {
            request.Add(FunctionsClientId);
        }

        // RFC 7239's Forwarded, X-Forwarded-* (by prefix) and their kin would carry a caller's forged address next to ours.
        if (AddXForwardedHeaders)
        {
            request.AddRange(s_forgeableClientAddress);
        }

        _requestDropped = request.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _responseDropped = HeaderRules.LeftBehindInResponses.Concat(s_responseDropped).Concat(options.RemoveResponseHeaders).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The function key to send in place of any the caller sent; <see langword="null"/> when unconfigured (a caller's own passes through, as with the plugin).</summary>
    public string? ApiKey { get; }

    /// <summary>The client id to send in place of any the caller sent; <see langword="null"/> when unconfigured.</summary>
    public string? ClientId { get; }

    /// <summary>Whether the proxy sets <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c>.</summary>
    public bool AddXForwardedHeaders { get; }

    /// <summary>
    /// Whether the caller's header <paramref name="name"/> stays behind. CGI-style readers (IIS server variables, PHP,
    /// WSGI) see <c>X_Original_URL</c> and <c>X-Original-URL</c> as one name, so a name is judged with its underscores
    /// read as hyphens.
    /// </summary>
    public bool DropsRequestHeader(string name)
    {
        if (name.Contains('_'))
        {
            name = name.Replace('_', '-');
        }

        if (_requestDropped.Contains(name))
        {
            return true;
        }

        // Every name the prefixes start with starts with "X-": most names are judged with two comparisons.
        if (name.Length < 2 || (name[0] | 0x20) != 'x' || name[1] != '-')
        {
            return false;
        }

        foreach (var prefix in s_azureIdentityPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return AddXForwardedHeaders && name.StartsWith(XForwardedPrefix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether the function's response header <paramref name="name"/> stays behind.</summary>
    public bool DropsResponseHeader(string name) => _responseDropped.Contains(name);
}
