using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// Which <see cref="ConnectionSettings"/> each client's current named proxies use: a proxy's source leases its
/// settings for as long as the proxy is current. A <see cref="FunctionHttpHandler"/> keeps the pools of live settings
/// and lets the others go once their requests end, so reloads that change <c>Keepalive</c>, <c>Timeout</c> or
/// <c>HttpsVerify</c> do not accumulate pools. Once the host has stopped (its server drained), no settings are live:
/// every pool closes its idle connections to the Function Apps as soon as no request uses it.
/// </summary>
internal sealed class LiveConnectionSettings
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string ClientName, ConnectionSettings Settings), int> _leases = new();
    private volatile bool _stopped;

    /// <summary>Settings that stop being live, for good, when <paramref name="lifetime"/> says the host has stopped.</summary>
    public LiveConnectionSettings(IHostApplicationLifetime? lifetime = null)
    {
        lifetime?.ApplicationStopped.Register(Stop);
    }

    /// <summary>Raised, outside any lock, after settings of a client came into use or went out of use.</summary>
    public event Action<string, ConnectionSettings>? Changed;

    /// <summary>Whether a current named proxy of the client named <paramref name="clientName"/> uses <paramref name="settings"/>. Takes no lock.</summary>
    public bool IsLive(string clientName, ConnectionSettings settings) => !_stopped && _leases.ContainsKey((clientName, settings));

    /// <summary>Keeps <paramref name="settings"/> live for the client named <paramref name="clientName"/> until the lease is disposed.</summary>
    public IDisposable Lease(string clientName, ConnectionSettings settings)
    {
        var lease = new SettingsLease(this, (clientName, settings));
        Count(lease.Key, +1);
        return lease;
    }

    // Every handler hears of every settings it may pool, and finds them no longer live.
    private void Stop()
    {
        _stopped = true;
        foreach (var key in _leases.Keys)
        {
            Changed?.Invoke(key.ClientName, key.Settings);
        }
    }

    private void Count((string ClientName, ConnectionSettings Settings) key, int change)
    {
        int leases;
        lock (_gate)
        {
            leases = _leases.GetValueOrDefault(key) + change;
            if (leases == 0)
            {
                _leases.TryRemove(key, out _);
            }
            else
            {
                _leases[key] = leases;
            }
        }

        // Listeners read the state again rather than trust the order events arrive in.
        if (leases == (change > 0 ? 1 : 0))
        {
            Changed?.Invoke(key.ClientName, key.Settings);
        }
    }

    private sealed class SettingsLease(LiveConnectionSettings owner, (string ClientName, ConnectionSettings Settings) key) : IDisposable
    {
        private int _disposed;

        public (string ClientName, ConnectionSettings Settings) Key => key;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Count(key, -1);
            }
        }
    }
}
