using System.Net;
using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The HTTP version one backend is spoken to in (<c>HttpVersion</c>), fixed once per set of options: HTTP/1.1, or HTTP/2
/// asked for with ALPN over HTTPS (HTTP/1.1 if the Function App does not offer it) or with prior knowledge over plain
/// HTTP (h2c). A fallback is logged once per backend.
/// </summary>
internal sealed class BackendProtocol
{
    private static readonly BackendProtocol s_http11 = new(HttpVersion.Version11, HttpVersionPolicy.RequestVersionOrLower);

    private int _fallbackLogged;

    private BackendProtocol(Version version, HttpVersionPolicy policy)
    {
        Version = version;
        Policy = policy;
    }

    /// <summary>The version a request asks for.</summary>
    public Version Version { get; }

    /// <summary>Whether a lower version may answer: over HTTPS, ALPN's choice; h2c has no way to offer one.</summary>
    public HttpVersionPolicy Policy { get; }

    /// <summary>The protocol of <paramref name="options"/> (a backend's, with its own <c>HttpVersion</c> in place).</summary>
    public static BackendProtocol Of(AzureFunctionProxyOptions options) =>
        options.HttpVersion != AzureFunctionProxyOptions.Http2 ? s_http11
            : new(HttpVersion.Version20, options.Https ? HttpVersionPolicy.RequestVersionOrLower : HttpVersionPolicy.RequestVersionExact);

    /// <summary>Sets the version <paramref name="request"/> asks for.</summary>
    public void Apply(HttpRequestMessage request)
    {
        request.Version = Version;
        request.VersionPolicy = Policy;
    }

    /// <summary>Logs, the first time only, that <paramref name="backend"/> answered in HTTP/1.1 where HTTP/2 was asked for.</summary>
    public void Answered(HttpResponseMessage response, ILogger logger, Backend backend)
    {
        if (Version.Major >= 2 && response.Version.Major < 2 && Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            Log.Http2FallBack(logger, backend.Name, $"{backend.ServerAddress}:{backend.ServerPort}");
        }
    }
}
