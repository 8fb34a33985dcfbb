using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Named <see cref="AzureFunctionProxyOptions"/> the test sets, each change told to the listeners of that moment as
/// configuration tells a reload: with the name and the new instance. A name never set reads as default options, as
/// the real monitor has it.
/// </summary>
public sealed class FakeOptionsMonitor : IOptionsMonitor<AzureFunctionProxyOptions>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AzureFunctionProxyOptions> _values = new(StringComparer.Ordinal);
    private readonly List<Action<AzureFunctionProxyOptions, string?>> _listeners = [];
    private Action? _afterNextListen;
    private Action? _afterNextRead;

    /// <summary>How many listeners are registered now.</summary>
    public int Listeners
    {
        get
        {
            lock (_gate)
            {
                return _listeners.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="hook"/> once, right after the next listener is registered and before <c>OnChange</c> returns.</summary>
    public void AfterNextListen(Action hook) => Volatile.Write(ref _afterNextListen, hook);

    /// <summary>Runs <paramref name="hook"/> once, right after the next <c>Get</c> read its value and before it returns it.</summary>
    public void AfterNextRead(Action hook) => Volatile.Write(ref _afterNextRead, hook);

    public AzureFunctionProxyOptions CurrentValue => Get(Options.DefaultName);

    public AzureFunctionProxyOptions Get(string? name)
    {
        AzureFunctionProxyOptions? value;
        lock (_gate)
        {
            _values.TryGetValue(name ?? Options.DefaultName, out value);
        }

        Interlocked.Exchange(ref _afterNextRead, null)?.Invoke();
        return value ?? new AzureFunctionProxyOptions();
    }

    public IDisposable OnChange(Action<AzureFunctionProxyOptions, string?> listener)
    {
        lock (_gate)
        {
            _listeners.Add(listener);
        }

        Interlocked.Exchange(ref _afterNextListen, null)?.Invoke();
        return new Registration(this, listener);
    }

    /// <summary>Sets the options of <paramref name="name"/> and tells the listeners, on this thread.</summary>
    public void Set(string name, AzureFunctionProxyOptions options) => Tell(Change(name, options), name, options);

    /// <summary>
    /// Sets the options of <paramref name="name"/> now and tells the listeners of this moment on another thread, as a
    /// reload racing a reader does; the task ends when they have been told.
    /// </summary>
    public Task SetElsewhere(string name, AzureFunctionProxyOptions options)
    {
        var listeners = Change(name, options);
        return Task.Run(() => Tell(listeners, name, options));
    }

    private static void Tell(Action<AzureFunctionProxyOptions, string?>[] listeners, string name, AzureFunctionProxyOptions options)
    {
        foreach (var listener in listeners)
        {
            listener(options, name);
        }
    }

    private Action<AzureFunctionProxyOptions, string?>[] Change(string name, AzureFunctionProxyOptions options)
    {
        lock (_gate)
        {
            _values[name] = options;
            return [.. _listeners];
        }
    }

    private sealed class Registration(FakeOptionsMonitor monitor, Action<AzureFunctionProxyOptions, string?> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (monitor._gate)
            {
                monitor._listeners.Remove(listener);
            }
        }
    }
}
