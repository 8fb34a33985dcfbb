using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>Keeps every log line at every level, exception text included, for assertions on what was logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
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

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose() { }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var stateText = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            provider.Entries.Enqueue((category, logLevel, eventId, $"{category} {formatter(state, exception)} {stateText} {exception}"));
            Interlocked.Exchange(ref provider._logged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}
