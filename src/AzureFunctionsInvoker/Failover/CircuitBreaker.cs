using System.Collections.Frozen;
using System.Globalization;
using System.Net.Http.Headers;
using AzureFunctionsInvoker.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// A backend's circuit under the function's current options: which statuses are failures, how many in a row open
/// it, for how long, and how long a <c>Retry-After</c> may keep it open. One per backend per set of options; the
/// <see cref="CircuitState"/> it judges, nested here as it exists only to be a breaker's state, outlives it: a reload's
/// new breaker of the same backend judges the same state.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly FrozenSet<int> _failureStatusCodes;
    private readonly int _threshold;
    private readonly TimeSpan _breakDuration;
    private readonly TimeSpan _maxRetryAfter;
    private readonly TimeProvider _time;

    public CircuitBreaker(CircuitState state, AzureFunctionProxyOptions options, TimeProvider time)
    {
        State = state;
        _failureStatusCodes = (options.FailureStatusCodes ?? (IEnumerable<int>)AzureFunctionProxyOptions.DefaultFailureStatusCodes).ToFrozenSet();
        _threshold = options.FailureThreshold;
        _breakDuration = TimeSpan.FromMilliseconds(options.BreakDuration);
        _maxRetryAfter = TimeSpan.FromMilliseconds(options.MaxRetryAfter);
        _time = time;
    }

    /// <summary>The state this breaker judges: the backend's circuit, kept across reloads by <see cref="CircuitRegistry"/>.</summary>
    public CircuitState State { get; }

    /// <summary>Whether <paramref name="statusCode"/> is one of <c>FailureStatusCodes</c>.</summary>
    public bool IsFailure(int statusCode) => _failureStatusCodes.Contains(statusCode);

    /// <summary>
    /// The backend answered <paramref name="statusCode"/> with <paramref name="retryAfter"/>: a success or a failure by
    /// the options. <paramref name="trial"/> is the request's ticket when it was the trial (<see cref="CircuitState.TryEnter"/>), else 0.
    /// </summary>
    public void Answered(int statusCode, RetryConditionHeaderValue? retryAfter, long trial)
    {
        if (!IsFailure(statusCode))
        {
            State.Succeeded(trial);
            return;
        }

        // A 503 is the whole backend saying it is unavailable: its Retry-After opens the circuit at once. A 429 is
        // usually one caller's quota, so it is one failure toward the threshold like any other, and its Retry-After is
        // the break only once the threshold opens the circuit. And failures in a row that end on a 429 open it only once
        // they have lasted a BreakDuration, no request answered between: the proxy cannot tell callers apart, and one
        // caller's burst of 429s would otherwise move every other caller off a healthy backend, while a backend that
        // throttles everyone that long is out for one break.
        if (statusCode == 429 && trial != 0 && _time.GetElapsedTime(State.OpenUntil) < _breakDuration)
        {
            // A trial answered 429 shows the backend up and throttling one caller (who may win every trial by asking
            // just as the break ends): it hands the trial on, half-open, to the next request, another caller's perhaps,
            // rather than open the circuit again and keep a recovered backend out for good. Trials answered 429 for a
            // whole BreakDuration since the break ended, none answered otherwise (that closes it), open it again.
            State.End(trial);
            return;
        }

        var wait = statusCode is 429 or 503 ? RetryAfterOf(retryAfter, _time.GetUtcNow(), _maxRetryAfter) : null;
        var reason = statusCode.ToString(CultureInfo.InvariantCulture);
        if (statusCode == 503)
        {
            State.Failed(reason, _threshold, _breakDuration, wait, trial);
        }
        else
        {
            State.Failed(reason, _threshold, wait ?? _breakDuration, retryAfter: null, trial, statusCode == 429 ? _breakDuration : TimeSpan.Zero);
        }
    }

    /// <summary>No answer came: no connection, or <c>Timeout</c> (<paramref name="reason"/> says which). <paramref name="trial"/> as for <see cref="Answered"/>.</summary>
    public void Unanswered(string reason, long trial) => State.Failed(reason, _threshold, _breakDuration, retryAfter: null, trial);

    /// <summary>
    /// How long a response's <c>Retry-After</c> (<paramref name="header"/>: seconds, or an HTTP date) asks to stay away,
    /// never below zero nor above <paramref name="max"/>; <see langword="null"/> without one.
    /// </summary>
    internal static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan max)
    {
        var wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };

        return wait is { } value ? TimeSpan.FromTicks(Math.Clamp(value.Ticks, 0, max.Ticks)) : null;
    }

    /// <summary>
    /// The circuit of one backend of a function: closed (requests go to it), open until a time (skipped), or half-open
    /// once that time has passed (one request at a time tries it; a success closes it, a failure opens it again).
    /// Long-lived in <see cref="CircuitRegistry"/>, so a reload that keeps the backend's host and port keeps its state.
    /// Lock-free: every read on a request's path is a volatile read, every change an interlocked one. A trial is admitted
    /// by one compare-and-swap on a ticket that only ever grows (odd while a trial runs), so of many requests that see the
    /// circuit half-open at once exactly one wins it, and only that request's outcome (or its end) lets the next in: the
    /// outcome of a request that was not the trial, or a trial that ended long ago, cannot.
    /// </summary>
    public sealed class CircuitState
    {
        private readonly TimeProvider _time;
        private readonly ProxyMetrics? _metrics;
        private readonly ILogger _logger;
        private readonly string _functionName;
        private readonly string _host;
        private readonly int _port;

        private int _failures;

        // TimeProvider timestamp of the first of the failures in a row.
        private long _failuresSince;

        // TimeProvider timestamp until which the circuit is open; 0 while it is closed.
        private long _openUntil;

        // The trial ticket: odd while a request tries the half-open circuit, that request holding the odd value; each trial
        // moves it on by two (admitted, then ended), so a ticket is never seen twice.
        private long _trial;

        /// <summary>
        /// The closed circuit of the backend at <paramref name="host"/>:<paramref name="port"/> of <paramref name="functionName"/>,
        /// its breaks timed by <paramref name="time"/>, its changes logged and counted by <paramref name="metrics"/> when given.
        /// </summary>
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
        public bool IsAvailable => OpenUntil is var until && (until == 0 || (_time.GetTimestamp() >= until && (Volatile.Read(ref _trial) & 1) == 0));

        /// <summary>
        /// Lets a request go to the backend if the circuit is closed, or, half-open, if no other request is trying it:
        /// then <paramref name="trial"/> is the request's ticket (never 0), which its outcome or <see cref="End"/> hands
        /// back; 0 otherwise.
        /// </summary>
        public bool TryEnter(out long trial)
        {
            trial = 0;

            // The ticket is read before the state: a trial that ended after this read makes the swap below fail, and one
            // that ended before it wrote the circuit's new state (closed, or open again) first, which the next read sees.
            var ticket = Volatile.Read(ref _trial);
            var until = OpenUntil;
            if (until == 0)
            {
                return true;
            }

            if ((ticket & 1) != 0 || _time.GetTimestamp() < until || Interlocked.CompareExchange(ref _trial, ticket + 1, ticket) != ticket)
            {
                return false;
            }

            trial = ticket + 1;
            return true;
        }

        /// <summary>
        /// Ends the trial <paramref name="trial"/> (from <see cref="TryEnter"/>), if it is still the one running: the
        /// request had no outcome (the caller went away), or had one that ended it already. 0 is no trial.
        /// </summary>
        public void End(long trial)
        {
            if (trial != 0)
            {
                Interlocked.CompareExchange(ref _trial, trial + 1, trial);
            }
        }

        /// <summary>
        /// The backend answered: the failures in a row start over, and an open circuit closes. <paramref name="trial"/> is
        /// the request's ticket, when it was the trial.
        /// </summary>
        public void Succeeded(long trial)
        {
            Volatile.Write(ref _failures, 0);
            if (Interlocked.Exchange(ref _openUntil, 0) != 0)
            {
                Log.CircuitClosed(_logger, _functionName, Endpoint);
                _metrics?.RecordCircuitChange(_host, _port, _functionName, "closed");
            }

            End(trial);
        }

        /// <summary>
        /// The backend failed because of <paramref name="reason"/>: the circuit opens for <paramref name="retryAfter"/> when
        /// the backend said how long to stay away, or for <paramref name="breakDuration"/> when the failures in a row reach
        /// <paramref name="threshold"/> (and, with <paramref name="lastingAtLeast"/>, began at least that long ago) or a trial
        /// failed. <paramref name="trial"/> is the request's ticket, when it was the trial.
        /// </summary>
        public void Failed(string reason, int threshold, TimeSpan breakDuration, TimeSpan? retryAfter, long trial, TimeSpan lastingAtLeast = default)
        {
            var failures = Interlocked.Increment(ref _failures);
            var now = _time.GetTimestamp();
            if (failures == 1)
            {
                Volatile.Write(ref _failuresSince, now);
            }

            var previous = OpenUntil;
            if (retryAfter is { } wait)
            {
                Open(now, previous, wait, $"{reason} with Retry-After");
            }
            else if (previous != 0 || (failures >= threshold && _time.GetElapsedTime(Volatile.Read(ref _failuresSince), now) >= lastingAtLeast))
            {
                Open(now, previous, breakDuration, previous != 0 ? $"{reason} on trial" : $"{reason}, {failures} failures in a row");
            }

            End(trial);
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
}
