using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace AzureFunctionsInvoker.FunctionsProxies;

/// <summary>
/// The <c>proxies.json</c> an app serves: read and validated when first asked for (a failure then is the app's startup
/// failure), then watched. An edit that reads and validates replaces the proxies for the requests that start after it;
/// one that does not is logged, naming the file, the proxy, the element and the line, and the previous proxies stay.
/// <c>%SETTING%</c> values are read again with each edit.
/// </summary>
internal sealed class ProxiesFile : IDisposable
{
    /// <summary>The name in <see cref="IHttpClientFactory"/> of the client proxies to other hosts send through.</summary>
    public const string ClientName = FunctionForwarder.ClientName + ".FunctionsProxies";

    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly IConfiguration _configuration;
    private readonly FunctionsProxiesOptions _options;
    private readonly LocalFunctionApp? _local;
    private readonly ConnectionSettings _connection;
    private readonly ILogger _logger;
    private readonly IDisposable _lease;
    private PhysicalFileProvider? _files;
    private IDisposable? _watch;
    private ProxyTable? _current;

    public ProxiesFile(string contentRoot, IConfiguration configuration, FunctionsProxiesOptions options, LocalFunctionApp? local, LiveConnectionSettings connections, ILogger logger)
    {
        _path = Path.GetFullPath(options.File, contentRoot);
        ShownName = options.File;
        _configuration = configuration;
        _options = options;
        _local = local;
        _logger = logger;
        _connection = ConnectionSettings.From(new AzureFunctionProxyOptions { Timeout = options.Timeout, Keepalive = options.Keepalive, HttpsVerify = options.HttpsVerify, MaxConnectionsPerBackend = options.MaxConnectionsPerBackend });

        // Every proxy to another host shares these settings, and so one pool of connections.
        _lease = connections.Lease(ClientName, _connection);
    }

    /// <summary>The file as the options name it, as messages show it.</summary>
    public string ShownName { get; }

    /// <summary>Raised, under no lock, with the proxies of an edit that was applied.</summary>
    public event Action<ProxyTable>? Changed;

    /// <summary>The proxies for a request starting now; the first call reads the file and starts watching it.</summary>
    /// <exception cref="ProxiesFileException">The file is missing, does not read or does not validate.</exception>
    public ProxyTable Current => Volatile.Read(ref _current) ?? LoadFirst();

    public void Dispose()
    {
        _watch?.Dispose();
        _files?.Dispose();
        _lease.Dispose();
    }

    private ProxyTable LoadFirst()
    {
        lock (_gate)
        {
            if (_current is null)
            {
                var table = Load();
                LogProxies(table);
                Watch();
                Volatile.Write(ref _current, table);
            }

            return _current;
        }
    }

    /// <summary>Reads, validates and compiles the file as it is now.</summary>
    internal ProxyTable Load()
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProxiesFileException($"{ShownName}: the proxies file cannot be read at '{_path}' ({e.GetType().Name}). Set FunctionsProxies:File to its path, relative to the content root.", e);
        }

        var compiler = new ProxyCompiler(ShownName, _configuration, _options, _local, _connection);
        var proxies = ProxiesFileReader.Read(json, ShownName).Select(compiler.Compile).ToList();
        return ProxyTable.Build(proxies, ShownName);
    }

    private void Watch()
    {
        var directory = Path.GetDirectoryName(_path)!;
        _files = new PhysicalFileProvider(directory);
        var name = Path.GetFileName(_path);
        _watch = ChangeToken.OnChange(() => _files.Watch(name), Reload);
    }

    private void Reload()
    {
        ProxyTable table;
        try
        {
            table = Load();
        }
        catch (ProxiesFileException e)
        {
            Log.ProxiesReloadRejected(_logger, ShownName, e.Message);
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not on the file watcher's thread, whose exception would end the app; and only its type: no message was
            // written for a log, and it could hold a setting's value.
            Log.ProxiesReloadRejected(_logger, ShownName, $"{ShownName}: the file could not be loaded ({e.GetType().Name}).");
            return;
        }

        lock (_gate)
        {
            Volatile.Write(ref _current, table);
        }

        Log.ProxiesReloaded(_logger, ShownName, table.Proxies.Count);
        LogProxies(table);
        Changed?.Invoke(table);
    }

    private void LogProxies(ProxyTable table)
    {
        foreach (var proxy in table.Proxies)
        {
            var backend = proxy.Disabled ? "disabled: 404" : proxy.Backend?.Origin ?? "its responseOverrides";
            Log.ProxyMapped(_logger, proxy.Name, proxy.Route, proxy.MethodsText, backend);
            if (!proxy.Disabled && proxy.Backend is { IsLocal: false } other && !_options.HttpsVerify && other.Origin.StartsWith("https:", StringComparison.Ordinal))
            {
                Log.HttpsVerifyDisabled(_logger, proxy.Name, other.Origin);
            }
        }
    }
}
