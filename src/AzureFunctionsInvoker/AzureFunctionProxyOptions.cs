namespace AzureFunctionsInvoker;

/// <summary>
/// Options for forwarding requests to one Azure Function. The names and units mirror the
/// configuration of Kong's <c>azure-functions</c> plugin (<c>functionname</c>, <c>appname</c>,
/// <c>hostdomain</c>, ...), so an existing plugin configuration carries over value for value.
/// </summary>
public sealed class AzureFunctionProxyOptions
{
    internal const string DefaultHostDomain = "azurewebsites.net";

    // A request keeps the backends it tried in a 64-bit mask.
    internal const int MaxBackends = 64;

    /// <summary>
    /// Name of the Azure Function to invoke (the plugin's <c>functionname</c>). Required unless <see cref="Functions"/>
    /// lists the functions of an app mount; the two cannot both be set. Leading and trailing slashes are ignored.
    /// </summary>
    public string FunctionName { get; set; } = string.Empty;

    /// <summary>
    /// For an app mount (<c>MapAzureFunctionProxy("/shop/{function}/{**rest}", name)</c>): the functions of the Function
    /// App the mount exposes, by name (one path segment of the characters <see cref="FunctionName"/> allows; matched
    /// case-insensitively, as Azure matches them), each with the <c>ApiKey</c> and <c>ClientId</c> it sends instead of
    /// the app's. A function not listed is answered with 404 and never called. Empty by default: the options name one
    /// function, <see cref="FunctionName"/>.
    /// </summary>
    public IDictionary<string, AzureFunctionProxyFunctionOptions> Functions { get; set; } =
        new Dictionary<string, AzureFunctionProxyFunctionOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The Function App's name (the plugin's <c>appname</c>): the first label of the host name. Required unless
    /// <see cref="Backends"/> lists the Function Apps that serve the function, which it then is not used for.
    /// When <see cref="HostDomain"/> is empty this is the whole host name, e.g. <c>localhost</c>.
    /// </summary>
    public string AppName { get; set; } = string.Empty;

    /// <summary>
    /// The domain the Function App lives in (the plugin's <c>hostdomain</c>).
    /// Defaults to <c>azurewebsites.net</c>. Empty means <see cref="AppName"/> is the whole host name.
    /// </summary>
    public string HostDomain { get; set; } = DefaultHostDomain;

    /// <summary>
    /// The route prefix of the Function App (the plugin's <c>routeprefix</c>). Defaults to <c>/api</c>.
    /// Leading and trailing slashes are ignored; empty drops the segment.
    /// </summary>
    public string RoutePrefix { get; set; } = "/api";

    /// <summary>
    /// The function key (the plugin's <c>apikey</c>). When set it is sent as the <c>x-functions-key</c>
    /// header, replacing any value the caller sent. It never appears in logs or error responses.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The client id (the plugin's <c>clientid</c>). When set it is sent as the <c>x-functions-clientid</c>
    /// header, replacing any value the caller sent.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Whether the Function App's TLS certificate is validated (the plugin's <c>https_verify</c>).
    /// Defaults to <see langword="true"/>, unlike the plugin: a key sent to an unauthenticated server is a
    /// key given away. Turning it off logs a warning at startup.
    /// </summary>
    public bool HttpsVerify { get; set; } = true;

    /// <summary>
    /// Whether the function is called over HTTPS (the plugin's <c>https</c>). Defaults to <see langword="true"/>.
    /// </summary>
    public bool Https { get; set; } = true;

    /// <summary>
    /// The port of the Function App, 1 to 65535. Defaults to <see langword="null"/>: 443 when <see cref="Https"/> is on, else 80.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>
    /// The longest time in milliseconds the proxy waits on the function for any one step: connecting,
    /// sending a piece of the request body, receiving the response headers, or receiving a piece of the
    /// response body (the plugin's <c>timeout</c>). At least 1; defaults to 600000 (10 minutes).
    /// </summary>
    public int Timeout { get; set; } = 600_000;

    /// <summary>
    /// Time in milliseconds an idle pooled connection to the Function App lives before it is closed
    /// (the plugin's <c>keepalive</c>). At least 1; defaults to 60000 (1 minute).
    /// </summary>
    public int Keepalive { get; set; } = 60_000;

    /// <summary>
    /// The largest request body in bytes the proxy accepts for the function; larger bodies are answered
    /// with 413. Defaults to 104857600 (100 MiB, Azure Functions' own limit), replacing Kestrel's 30 MB
    /// default for proxied requests. <see langword="null"/> means no limit.
    /// </summary>
    public long? MaxRequestBodySize { get; set; } = 104_857_600;

    /// <summary>
    /// How a request body is framed to the function. <see cref="RequestBodyFraming.ContentLength"/> (the default)
    /// sends every body with a <c>Content-Length</c>, reading a body sent without one (chunked) whole first, in memory
    /// up to 64 KiB and then in a temporary file, up to <see cref="MaxRequestBodySize"/>: Azure Functions'
    /// out-of-process workers receive a chunked body empty. <see cref="RequestBodyFraming.AsSent"/> streams every body
    /// as the caller framed it.
    /// </summary>
    public RequestBodyFraming RequestBodyFraming { get; set; } = RequestBodyFraming.ContentLength;

    /// <summary>
    /// The most connections open at once to each backend (its host and port), over HTTP/1.1 or HTTP/2. A request that
    /// finds them all busy waits for one within <see cref="Timeout"/>, then gets 503 (<c>connection_budget_exhausted</c>).
    /// At least 1; defaults to <see langword="null"/>: no limit. On App Service, where outbound connections share 128
    /// SNAT ports per instance and destination, keep it under that (e.g. 64).
    /// </summary>
    public int? MaxConnectionsPerBackend { get; set; }

    /// <summary>
    /// The HTTP version the proxy speaks to the Function App: <c>1.1</c> (the default) or <c>2</c>. With <c>2</c> over
    /// HTTPS it asks for HTTP/2 with ALPN and falls back to HTTP/1.1 when the Function App does not offer it (its
    /// <c>http20Enabled</c> off), logging the fallback once per backend; over plain HTTP it speaks HTTP/2 with prior
    /// knowledge (h2c: a local host or a test stand-in). HTTP/2 carries many requests on one connection, and opens
    /// another when one is full. A <see cref="AzureFunctionProxyBackend.HttpVersion"/> replaces it for one backend.
    /// </summary>
    public string HttpVersion { get; set; } = Http11;

    /// <summary>
    /// Whether <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> are set on the
    /// forwarded request from the caller's connection, replacing any values the caller sent.
    /// Defaults to <see langword="true"/>.
    /// </summary>
    public bool AddXForwardedHeaders { get; set; } = true;

    /// <summary>
    /// Request headers that never reach the function, by name (case-insensitive): credentials the caller sent for
    /// this app rather than for the function (an <c>X-Api-Key</c> of the app's own authentication, a <c>Cookie</c>).
    /// The proxy's own headers (<c>x-functions-key</c>, <c>x-functions-clientid</c>, <c>X-Forwarded-*</c>,
    /// <c>Host</c>) cannot be listed. Empty by default.
    /// </summary>
    public IList<string> RemoveRequestHeaders { get; set; } = [];

    /// <summary>
    /// Response headers that never reach the caller, by name (case-insensitive): what the function's host says about
    /// itself (<c>Server</c>, <c>X-Powered-By</c>). The proxy's own headers cannot be listed. Empty by default.
    /// </summary>
    public IList<string> RemoveResponseHeaders { get; set; } = [];

    /// <summary>
    /// Whether a response's <c>Location</c> or <c>Content-Location</c> that points at the function's own route (its
    /// origin, and its path or below) is turned into the same place under the mount, as the caller addressed the app.
    /// Relative references, other hosts and the function host's other paths are left alone. Defaults to <see langword="true"/>.
    /// </summary>
    public bool RewriteRedirects { get; set; } = true;

    /// <summary>
    /// Whether each <c>Set-Cookie</c> of a response loses a <c>Domain</c> attribute naming the function's host (or a
    /// parent domain of it), and has a <c>Path</c> on the function's route mapped onto the mount. Defaults to <see langword="true"/>.
    /// </summary>
    public bool RewriteCookies { get; set; } = true;

    /// <summary>
    /// The path segment below the mount under which Durable Functions management URLs become links through the proxy
    /// (<c>{mount}/_durable/{token}/...</c>), so callers never see the function's host nor the Durable Task system key.
    /// One path segment; defaults to <c>_durable</c>. Empty turns the links off, and Durable URLs pass as the function wrote them.
    /// </summary>
    public string DurableLinksPath { get; set; } = "_durable";

    /// <summary>
    /// How long a Durable Functions link handed to a caller works, from the response that carried it. At least one
    /// second; defaults to 7 days.
    /// </summary>
    public TimeSpan DurableLinksLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Function Apps that serve this function side by side (regions, plans), for failover: each request goes to the
    /// lowest <see cref="AzureFunctionProxyBackend.Priority"/> with a backend whose circuit is not open, shared by
    /// <see cref="AzureFunctionProxyBackend.Weight"/>, and a failed attempt moves on to the next backend where that is
    /// safe. An entry's unset keys are the function's own; with backends, <see cref="AppName"/> is only the default
    /// of entries that leave theirs out. Empty by default (the function's own host alone). At most 64 entries.
    /// </summary>
    public IList<AzureFunctionProxyBackend> Backends { get; set; } = [];

    /// <summary>
    /// With two or more <see cref="Backends"/>: how many failures in a row open a backend's circuit, taking it out of
    /// the choice for <see cref="BreakDuration"/>. At least 1; defaults to 5.
    /// </summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>
    /// With two or more <see cref="Backends"/>: how long in milliseconds an open circuit keeps its backend out; then one
    /// request at a time tries it, and a success closes it. At least 1; defaults to 30000 (30 seconds).
    /// </summary>
    public int BreakDuration { get; set; } = 30_000;

    /// <summary>
    /// With two or more <see cref="Backends"/>: the statuses that count as a backend's failure, as no connection and
    /// <see cref="Timeout"/> do. <see langword="null"/> (unset) means 429, 502, 503 and 504: the function's own 500 is
    /// an application error, not an outage.
    /// </summary>
    public IList<int>? FailureStatusCodes { get; set; }

    /// <summary>
    /// With two or more <see cref="Backends"/>: the longest time in milliseconds a <c>Retry-After</c> on a failing 429
    /// or 503 keeps its backend out (its circuit opens at once for that long). At least 1; defaults to 60000 (1 minute).
    /// </summary>
    public int MaxRetryAfter { get; set; } = 60_000;

    internal static int[] DefaultFailureStatusCodes { get; } = [429, 502, 503, 504];

    internal const string Http11 = "1.1";

    internal const string Http2 = "2";

    /// <summary>Whether <paramref name="version"/> is a value <see cref="HttpVersion"/> takes.</summary>
    internal static bool IsHttpVersion(string version) => version is Http11 or Http2;

    internal AzureFunctionProxyOptions Clone()
    {
        var clone = (AzureFunctionProxyOptions)MemberwiseClone();
        clone.RemoveRequestHeaders = [.. RemoveRequestHeaders];
        clone.RemoveResponseHeaders = [.. RemoveResponseHeaders];
        clone.Backends = [.. Backends.Select(backend => backend.Clone())];
        clone.FailureStatusCodes = FailureStatusCodes is null ? null : [.. FailureStatusCodes];
        clone.Functions = new Dictionary<string, AzureFunctionProxyFunctionOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, function) in Functions)
        {
            // An entry bound from an empty section may be null: no settings of its own.
            clone.Functions[name] = function?.Clone() ?? new();
        }

        return clone;
    }

    /// <summary>The options of one of <see cref="Backends"/>: this function's, with what the entry sets in their place.</summary>
    internal AzureFunctionProxyOptions ForBackend(AzureFunctionProxyBackend backend)
    {
        var options = Clone();
        options.Backends = [];
        options.AppName = backend.AppName ?? AppName;
        options.HostDomain = backend.HostDomain ?? HostDomain;
        options.Port = backend.Port ?? Port;
        options.Https = backend.Https ?? Https;
        options.ApiKey = backend.ApiKey ?? ApiKey;
        options.ClientId = backend.ClientId ?? ClientId;
        options.HttpVersion = backend.HttpVersion ?? HttpVersion;
        return options;
    }

    // The options one function of an app mount is called with: the app's, with the function's name, and its own key
    // and client id where it has them (empty is unset, as for the app's). Made once per set of the app's options.
    internal AzureFunctionProxyOptions ForFunction(string functionName, AzureFunctionProxyFunctionOptions? own)
    {
        var options = (AzureFunctionProxyOptions)MemberwiseClone();
        options.FunctionName = functionName;
        options.Functions = new Dictionary<string, AzureFunctionProxyFunctionOptions>(StringComparer.OrdinalIgnoreCase);
        options.ApiKey = string.IsNullOrEmpty(own?.ApiKey) ? ApiKey : own.ApiKey;
        options.ClientId = string.IsNullOrEmpty(own?.ClientId) ? ClientId : own.ClientId;
        return options;
    }

    // Configuration reports a reload several times over (once per provider, twice per file save); only a real
    // change is applied and logged.
    internal bool HasSameValues(AzureFunctionProxyOptions other) =>
        FunctionName == other.FunctionName
        && AppName == other.AppName
        && HostDomain == other.HostDomain
        && RoutePrefix == other.RoutePrefix
        && ApiKey == other.ApiKey
        && ClientId == other.ClientId
        && HttpsVerify == other.HttpsVerify
        && Https == other.Https
        && Port == other.Port
        && Timeout == other.Timeout
        && Keepalive == other.Keepalive
        && MaxRequestBodySize == other.MaxRequestBodySize
        && RequestBodyFraming == other.RequestBodyFraming
        && MaxConnectionsPerBackend == other.MaxConnectionsPerBackend
        && HttpVersion == other.HttpVersion
        && AddXForwardedHeaders == other.AddXForwardedHeaders
        && RewriteRedirects == other.RewriteRedirects
        && RewriteCookies == other.RewriteCookies
        && DurableLinksPath == other.DurableLinksPath
        && DurableLinksLifetime == other.DurableLinksLifetime
        && RemoveRequestHeaders.SequenceEqual(other.RemoveRequestHeaders, StringComparer.OrdinalIgnoreCase)
        && RemoveResponseHeaders.SequenceEqual(other.RemoveResponseHeaders, StringComparer.OrdinalIgnoreCase)
        && Backends.Count == other.Backends.Count
        && Backends.Zip(other.Backends).All(pair => pair.First.HasSameValues(pair.Second))
        && FailureThreshold == other.FailureThreshold
        && BreakDuration == other.BreakDuration
        && (FailureStatusCodes ?? (IEnumerable<int>)DefaultFailureStatusCodes).SequenceEqual(other.FailureStatusCodes ?? (IEnumerable<int>)DefaultFailureStatusCodes)
        && MaxRetryAfter == other.MaxRetryAfter
        && HaveSameFunctions(Functions, other.Functions);

    private static bool HaveSameFunctions(IDictionary<string, AzureFunctionProxyFunctionOptions> functions, IDictionary<string, AzureFunctionProxyFunctionOptions> others)
    {
        if (functions.Count != others.Count)
        {
            return false;
        }

        foreach (var (name, function) in functions)
        {
            // Names compare as Azure matches them; an entry's settings compare exactly.
            var other = others.FirstOrDefault(o => string.Equals(o.Key, name, StringComparison.OrdinalIgnoreCase));
            if (other.Key is null || !AzureFunctionProxyFunctionOptions.HaveSameValues(function, other.Value))
            {
                return false;
            }
        }

        return true;
    }
}
