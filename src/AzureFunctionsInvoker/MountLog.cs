using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Functions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker;

/// <summary>
/// Says where each mount's requests go (<c>Mounted /mytest -> https://...</c>), in the order the app made them, once
/// the app has started: a mount point is read then, since an endpoint's final route pattern, route group prefixes
/// included, is known only once the app's endpoints are built. An app without a host never starts, and logs nothing.
/// </summary>
internal sealed class MountLog
{
    private readonly List<(Func<string> MountPoint, NamedProxy.Source Proxy)> _mounts = [];
    private readonly Lock _gate = new();
    private readonly ILogger _logger;

    public MountLog(ILogger<AzureFunctionProxyMiddleware> logger, IHostApplicationLifetime? lifetime = null)
    {
        _logger = logger;
        lifetime?.ApplicationStarted.Register(LogMounts);
    }

    /// <summary>Adds a mount, whose <paramref name="mountPoint"/> is read when the app has started.</summary>
    public void Add(Func<string> mountPoint, NamedProxy.Source proxy)
    {
        lock (_gate)
        {
            _mounts.Add((mountPoint, proxy));
        }
    }

    private void LogMounts()
    {
        lock (_gate)
        {
            foreach (var (mountPoint, source) in _mounts)
            {
                var proxy = source.Current;
                Log.Mounted(_logger, mountPoint(), proxy.Address, proxy.Name);
            }
        }
    }
}
