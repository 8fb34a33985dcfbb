namespace AzureFunctionsInvoker;

/// <summary>
/// Options of <c>AddFunctionsProxies</c>: which Azure Functions Proxies <c>proxies.json</c> the app serves, and how its
/// proxies reach their backends. The connection settings have the names, units and defaults of
/// <see cref="AzureFunctionProxyOptions"/>; a <c>backendUri</c> on <c>localhost</c> uses those of
/// <see cref="LocalFunctionApp"/> instead.
/// </summary>
public sealed class FunctionsProxiesOptions
{
    /// <summary>
    /// The path of the <c>proxies.json</c> to serve, relative to the app's content root (or absolute). Defaults to
    /// <c>proxies.json</c>. The file is watched: an edit applies to requests that start after it.
    /// </summary>
    public string File { get; set; } = "proxies.json";

    /// <summary>
    /// The name of a function registered with <c>AddAzureFunctionProxy</c> whose Function App answers a
    /// <c>backendUri</c> on <c>localhost</c> ("a function inside the same function app"): its host or <c>Backends</c>,
    /// its <c>ApiKey</c> and <c>ClientId</c> (unless the <c>backendUri</c> carries <c>code</c>), <c>Timeout</c>,
    /// <c>Keepalive</c> and every other connection setting apply, and the path and query come from the
    /// <c>backendUri</c>. Unset by default, when a <c>localhost</c> <c>backendUri</c> is refused at startup.
    /// </summary>
    public string? LocalFunctionApp { get; set; }

    /// <summary>
    /// The longest time in milliseconds a proxy waits on its backend for any one step (connecting, sending a piece of
    /// the request body, receiving the response headers or a piece of the response body). At least 1; defaults to
    /// 600000 (10 minutes), as <see cref="AzureFunctionProxyOptions.Timeout"/>.
    /// </summary>
    public int Timeout { get; set; } = 600_000;

    /// <summary>
    /// Time in milliseconds an idle pooled connection to a backend lives before it is closed. At least 1; defaults to
    /// 60000 (1 minute), as <see cref="AzureFunctionProxyOptions.Keepalive"/>.
    /// </summary>
    public int Keepalive { get; set; } = 60_000;

    /// <summary>
    /// Whether a backend's TLS certificate is validated. Defaults to <see langword="true"/>, as
    /// <see cref="AzureFunctionProxyOptions.HttpsVerify"/>; turning it off logs a warning per proxy at startup.
    /// </summary>
    public bool HttpsVerify { get; set; } = true;

    /// <summary>
    /// The largest request body in bytes a proxy accepts; larger bodies are answered with 413. Defaults to 104857600
    /// (100 MiB), as <see cref="AzureFunctionProxyOptions.MaxRequestBodySize"/>. <see langword="null"/> means no limit.
    /// </summary>
    public long? MaxRequestBodySize { get; set; } = 104_857_600;

    /// <summary>
    /// Whether <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> are set on a proxied
    /// request from the caller's connection, replacing any values the caller sent. Defaults to <see langword="true"/>,
    /// as <see cref="AzureFunctionProxyOptions.AddXForwardedHeaders"/>.
    /// </summary>
    public bool AddXForwardedHeaders { get; set; } = true;

    /// <summary>
    /// How a request body is framed to a backend, as <see cref="AzureFunctionProxyOptions.RequestBodyFraming"/>:
    /// <see cref="RequestBodyFraming.ContentLength"/> (the default) sends every body with a <c>Content-Length</c>,
    /// reading a body sent without one (chunked) whole first, in memory up to 64 KiB and then in a temporary file, up to
    /// <see cref="MaxRequestBodySize"/> (413 over it); <see cref="RequestBodyFraming.AsSent"/> streams every body as the
    /// caller framed it.
    /// </summary>
    public RequestBodyFraming RequestBodyFraming { get; set; } = RequestBodyFraming.ContentLength;

    /// <summary>
    /// The HTTP version spoken to a backend, <c>1.1</c> (the default) or <c>2</c>, as
    /// <see cref="AzureFunctionProxyOptions.HttpVersion"/>: with <c>2</c>, HTTP/2 with ALPN over HTTPS (HTTP/1.1 when the
    /// backend does not offer it, logged once per backend), with prior knowledge (h2c) over plain HTTP.
    /// </summary>
    public string HttpVersion { get; set; } = AzureFunctionProxyOptions.Http11;

    /// <summary>
    /// The most connections open at once to each backend host and port, as
    /// <see cref="AzureFunctionProxyOptions.MaxConnectionsPerBackend"/>: a request that finds them all busy waits for one
    /// within <see cref="Timeout"/>, then gets 503 (<c>connection_budget_exhausted</c>). At least 1; defaults to
    /// <see langword="null"/>: no limit. The budget is per backend, shared by every proxy to it.
    /// </summary>
    public int? MaxConnectionsPerBackend { get; set; }
}
