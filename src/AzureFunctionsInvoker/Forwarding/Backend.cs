using System.Collections.Frozen;
using System.Net;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// A backend (one Function App's origin: scheme, host, port, keys) as one function is reached on it: what an exchange
/// needs, fixed once per set of options. The proxy name, the options (with the backend's keys), the connection settings
/// that pick its pool, the headers to leave out, the HTTP version it is spoken to in, the function's address on the
/// backend and that address as telemetry tags it.
/// </summary>
internal sealed class Backend
{
    // Set once this backend answered in HTTP/1.1 where HTTP/2 was asked for: the fallback is logged once.
    private int _fallbackLogged;

    /// <param name="name">The proxy name: what the function or app mount is registered under.</param>
    /// <param name="options">The function's options.</param>
    /// <param name="connection">The connection settings that pick the exchange's pool.</param>
    /// <param name="functionUri">The function's own address.</param>
    /// <param name="mountSuffix">What follows the mount's path in the caller's address of this function: <c>/{function}</c> under an app mount, else empty.</param>
    public Backend(string name, AzureFunctionProxyOptions options, ConnectionSettings connection, Uri functionUri, string mountSuffix = "")
        : this(name, options, connection, functionUri, mountSuffix, isKeyless: false)
    {
    }

    private Backend(string name, AzureFunctionProxyOptions options, ConnectionSettings connection, Uri functionUri, string mountSuffix, bool isKeyless)
    {
        Name = name;
        FunctionUri = functionUri;
        Options = options;
        Connection = connection;
        ServerAddress = functionUri.IdnHost;
        ServerPort = functionUri.Port;
        Scheme = functionUri.Scheme;
        FunctionPath = functionUri.AbsolutePath.TrimEnd('/');
        MountSuffix = mountSuffix;
        Headers = new HeaderPolicy(options);

        // HTTP/1.1, or HTTP/2 asked for with ALPN over HTTPS (HTTP/1.1 if the Function App does not offer it) or with
        // prior knowledge over plain HTTP (h2c), which has no way to offer a lower version.
        (Version, VersionPolicy) = options.HttpVersion != AzureFunctionProxyOptions.Http2
            ? (HttpVersion.Version11, HttpVersionPolicy.RequestVersionOrLower)
            : (HttpVersion.Version20, options.Https ? HttpVersionPolicy.RequestVersionOrLower : HttpVersionPolicy.RequestVersionExact);
        Keyless = isKeyless ? this : new Backend(name, WithoutKey(options), connection, functionUri, mountSuffix, isKeyless: true);
    }

    /// <summary>The function's name in the app, as logs name it: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name { get; }

    /// <summary>The function's options, never changed once the backend exists.</summary>
    public AzureFunctionProxyOptions Options { get; }

    /// <summary>The connection settings that pick the exchange's pool.</summary>
    public ConnectionSettings Connection { get; }

    /// <summary>The function's own address, with nothing appended.</summary>
    public Uri FunctionUri { get; }

    /// <summary>The function's host (an IPv6 address without brackets), as telemetry tags it.</summary>
    public string ServerAddress { get; }

    /// <summary>The function's port.</summary>
    public int ServerPort { get; }

    /// <summary><c>https</c> or <c>http</c>.</summary>
    public string Scheme { get; }

    /// <summary>The function's route on its host, e.g. <c>/api/hello</c>: what a redirect or cookie path of its own starts with.</summary>
    public string FunctionPath { get; }

    /// <summary>What follows the mount's path in the caller's address of this function: <c>/{function}</c> under an app mount, else empty.</summary>
    public string MountSuffix { get; }

    /// <summary>
    /// As this backend, sending no <c>x-functions-key</c>, neither the function key nor a caller's: for Durable links, whose
    /// URL carries the Durable Task system key as its <c>code</c>, which the Functions host reads only when no header comes with it,
    /// and which must not gain the function's key when it carries none (it may have been made from a string the caller wrote).
    /// Nor a caller's <c>Accept-Encoding</c>: the answer is one to rewrite, which an encoded body cannot be.
    /// </summary>
    public Backend Keyless { get; }

    /// <summary>Which headers the proxy drops and sets, by its own choice and the user's, in both directions.</summary>
    public HeaderPolicy Headers { get; }

    /// <summary>The HTTP version requests to this backend ask for (<c>HttpVersion</c>).</summary>
    public Version Version { get; }

    /// <summary>Whether a lower version may answer: over HTTPS, ALPN's choice; h2c has no way to offer one.</summary>
    public HttpVersionPolicy VersionPolicy { get; }

    /// <summary>The address of <paramref name="target"/> on this backend: see <see cref="RequestTarget.AppendTo"/>.</summary>
    public Uri Resolve(in RequestTarget target) => target.AppendTo(FunctionUri);

    /// <summary>Sets the version <paramref name="request"/> asks for.</summary>
    public void ApplyVersion(HttpRequestMessage request)
    {
        request.Version = Version;
        request.VersionPolicy = VersionPolicy;
    }

    /// <summary>Logs, the first time only, that this backend answered in HTTP/1.1 where HTTP/2 was asked for.</summary>
    public void Answered(HttpResponseMessage response, ILogger logger)
    {
        if (Version.Major >= 2 && response.Version.Major < 2 && Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            Log.Http2FallBack(logger, Name, $"{ServerAddress}:{ServerPort}");
        }
    }

    private static AzureFunctionProxyOptions WithoutKey(AzureFunctionProxyOptions options)
    {
        var keyless = options.Clone();
        keyless.ApiKey = null;
        keyless.RemoveRequestHeaders.Add(HeaderPolicy.FunctionsKey);

        // A Durable answer is rewritten or refused, and an encoded one cannot be rewritten: the caller's
        // Accept-Encoding would turn a running instance's status into a 502 wherever the host compresses.
        keyless.RemoveRequestHeaders.Add(HeaderNames.AcceptEncoding);
        return keyless;
    }

    /// <summary>
    /// The proxy's choices about headers, beside what HTTP requires of any proxy (<see cref="HeaderRules"/>): the headers
    /// that let a caller override the URL or method the function's framework sees or an identity Azure vouches for, the
    /// headers the proxy sets itself (the key, the client id, <c>X-Forwarded-*</c>) and their forgeable kin, the function's
    /// own key and client id in a response that reflects them, and the user's <c>RemoveRequestHeaders</c> and
    /// <c>RemoveResponseHeaders</c>. Made once per set of a backend's options: every name to drop, HTTP's hop-by-hop ones
    /// included, is in one frozen set per direction, so a request reads no option per header.
    /// </summary>
    public sealed class HeaderPolicy
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
}
