using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Forwarding;

/// <summary>
/// The circuit of one backend of a function: closed (requests go to it), open until a time (skipped), or half-open
/// once that time has passed (one request at a time tries it; a success closes it, a failure opens it again).
/// Long-lived in <see cref="CircuitRegistry"/>, so a reload that keeps the backend's host and port keeps its state.
/// Lock-free: every read on a request's path is a volatile read, every change an interlocked one.
/// </summary>
internal sealed class CircuitState
{
    private readonly TimeProvider _time;
    private readonly ProxyMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly string _functionName;
    private readonly string _host;
    private readonly int _port;

    private int _failures;

    // TimeProvider timestamp until which the circuit is open; 0 while it is closed.
    private long _openUntil;

    // 1 while a request tries a half-open circuit.
    private int _probing;

    public CircuitState(string functionName, string host, int port, TimeProvider time, ProxyMetrics? metrics, ILogger logger)
    {
        _functionName = functionName;
        _host = host;
        _port = port;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Endpoint = $"{host}:{port}";
    }

    /// <summary>The backend's host and port, as logs and health reports name it.</summary>
    public string Endpoint { get; }

    /// <summary>When the open circuit lets a request try again; 0 while it is closed.</summary>
    public long OpenUntil => Volatile.Read(ref _openUntil);

    /// <summary>Whether the circuit is open now (not closed, and its break not over).</summary>
    public bool IsOpen => OpenUntil is var until && until != 0 && _time.GetTimestamp() < until;

    /// <summary>Whether a request could go to the backend now: closed, or half-open with nobody trying it.</summary>
    public bool IsAvailable => OpenUntil is var until && (until == 0 || (_time.GetTimestamp() >= until && Volatile.Read(ref _probing) == 0));

    /// <summary>
    /// Lets a request go to the backend if the circuit is closed, or, half-open, if no other request is trying it:
    /// then <paramref name="probe"/> is set, and the request's outcome (or <see cref="Release"/>) ends the trial.
    /// </summary>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        var until = OpenUntil;
        if (until == 0)
        {
            return true;
        }

        if (_time.GetTimestamp() < until)
        {
            return false;
        }

        probe = Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
        return probe;
    }

    /// <summary>Ends a trial whose request ended without an outcome (the caller went away).</summary>
    public void Release(bool probe)
    {
        if (probe)
        {
            Interlocked.CompareExchange(ref _probing, 0, 1);
        }
    }

    /// <summary>The backend answered: the failures in a row start over, and an open circuit closes.</summary>
    public void Succeeded()
    {
        Volatile.Write(ref _failures, 0);
        if (Interlocked.Exchange(ref _openUntil, 0) != 0)
        {
            Log.CircuitClosed(_logger, _functionName, Endpoint);
            _metrics?.RecordCircuitChange(_host, _port, _functionName, "closed");
        }

        Volatile.Write(ref _probing, 0);
    }

    /// <summary>
    /// The backend failed because of <paramref name="reason"/>: the circuit opens for <paramref name="retryAfter"/> when
    /// the backend said how long to stay away, or for <paramref name="breakDuration"/> when the failures in a row reach
    /// <paramref name="threshold"/> or a trial failed.
    /// </summary>
    public void Failed(string reason, int threshold, TimeSpan breakDuration, TimeSpan? retryAfter)
    {
        var failures = Interlocked.Increment(ref _failures);
        var now = _time.GetTimestamp();
        var previous = OpenUntil;
        if (retryAfter is { } wait)
        {
            Open(now, previous, wait, $"{reason} with Retry-After");
        }
        else if (previous != 0 || failures >= threshold)
        {
            Open(now, previous, breakDuration, previous != 0 ? $"{reason} on trial" : $"{reason}, {failures} failures in a row");
        }

        Volatile.Write(ref _probing, 0);
    }

    private void Open(long now, long previous, TimeSpan duration, string reason)
    {
        var until = now + (long)(duration.TotalSeconds * _time.TimestampFrequency);
        Volatile.Write(ref _openUntil, Math.Max(until, 1));

        // An open circuit that a forced request failed again stays open, longer, without a new line.
        if (previous == 0 || previous <= now)
        {
            Log.CircuitOpened(_logger, _functionName, Endpoint, reason, (long)duration.TotalMilliseconds);
            _metrics?.RecordCircuitChange(_host, _port, _functionName, "open");
        }
    }
}
