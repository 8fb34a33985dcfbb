using System.Collections.Frozen;
using System.Globalization;
using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// A backend's circuit under the function's current options: which statuses are failures, how many in a row open
/// it, for how long, and how long a <c>Retry-After</c> may keep it open. One per backend per set of options; the
/// <see cref="CircuitState"/> it judges outlives it.
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
}
