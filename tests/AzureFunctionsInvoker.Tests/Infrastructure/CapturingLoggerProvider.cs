using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Keeps every log line at every level, with its message, structured state, active scopes and exception text,
/// for assertions on what was logged. Lines holding a watched secret are kept apart as they arrive, so a long run
/// can check every line for the key without keeping them all (<c>keepEntries: false</c>).
/// </summary>
public sealed class CapturingLoggerProvider(bool keepEntries = true) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentBag<string> _secrets = [];
    private readonly ConcurrentQueue<string> _leaks = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
    private long _lines;

    /// <summary>How many lines were logged, kept or not.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Text)> Entries { get; } = new();

    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string AllText => string.Join('\n', Entries.Select(e => e.Text));

    /// <summary>Completes when an entry with the event name <paramref name="eventName"/> has been logged.</summary>
    public async Task WaitForAsync(string eventName, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (true)
        {
            var next = Volatile.Read(ref _logged).Task;
            if (Entries.Any(e => e.EventId.Name == eventName))
            {
                return;
            }

            await next.WaitAsync(timeout.Token);
        }
    }

    /// <summary>Checks every line logged from now on for <paramref name="secret"/>, kept or not.</summary>
    public void Watch(string secret) => _secrets.Add(secret);

    /// <summary>Fails when any captured line (message, state, scope or exception) contains <paramref name="secret"/>.</summary>
    public void AssertNeverLogged(string secret)
    {
        var leaked = Entries.Select(e => $"{e.Level} {e.EventId}: {e.Text}").Concat(_leaks)
            .Where(text => text.Contains(secret, StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(leaked.Count == 0, $"A secret was logged in {leaked.Count} line(s):\n{string.Join('\n', leaked).Replace(secret, "<secret>", StringComparison.Ordinal)}");
    }

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName, keepEntries);

    public void Dispose() { }

    private static string StateText(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
        ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
        : state?.ToString() ?? string.Empty;

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category, bool keepEntries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new StringBuilder();
            provider._scopes.ForEachScope((scope, text) => text.Append(" [").Append(scope).Append(' ').Append(StateText(scope)).Append(']'), scopes);
            var text = $"{category} {formatter(state, exception)} {StateText(state)}{scopes} {exception}";
            Interlocked.Increment(ref provider._lines);
            if (provider._secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal)))
            {
                provider._leaks.Enqueue($"{logLevel} {eventId}: {text}");
            }

            if (keepEntries)
            {
                provider.Entries.Enqueue((category, logLevel, eventId, text));
            }

            Interlocked.Exchange(ref provider._logged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}
