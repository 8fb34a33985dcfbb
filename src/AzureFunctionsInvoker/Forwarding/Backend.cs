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
}
