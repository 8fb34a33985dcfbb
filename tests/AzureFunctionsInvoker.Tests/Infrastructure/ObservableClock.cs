using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A fake clock for a proxy app (<see cref="FakeTimeProvider"/>) that also tells a test when its timers are armed: the
/// proxy's <c>Timeout</c> runs one timer per forward, armed while the proxy waits on the function and disarmed while
/// it waits on the caller. A test advances the clock once the wait it means to expire is being timed, instead of
/// sleeping through a short real timeout.
/// </summary>
public sealed class ObservableClock : TimeProvider
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();
    private readonly Lock _gate = new();
    private readonly List<(int Timers, TaskCompletionSource Armed)> _waiters = [];
    private int _armed;

    public override DateTimeOffset GetUtcNow() => _time.GetUtcNow();

    public override long GetTimestamp() => _time.GetTimestamp();

    public override long TimestampFrequency => _time.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _time.LocalTimeZone;

    /// <summary>Makes this the proxy app's clock.</summary>
    public void UseIn(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(this);

    /// <summary>Moves the clock on, running the timers that come due.</summary>
    public void Advance(TimeSpan delta) => _time.Advance(delta);

    /// <summary>
    /// Awaits <paramref name="sending"/>, a request to <paramref name="env"/>'s proxy; should the request reach a stand-in
    /// function that never answers (<see cref="StandInFunction.Arrived"/>) first, moves the clock past the proxy's
    /// <c>Timeout</c>, which was running since the request was sent.
    /// </summary>
    public async Task<T> ExpireOnArrivalAsync<T>(Task<T> sending, ProxyTestHost env)
    {
        if (await Task.WhenAny(sending, env.Function.Arrived.Task).WaitAsync(s_bound) != sending)
        {
            Advance(TimeSpan.FromMilliseconds(env.Options.Timeout));
        }

        return await sending.WaitAsync(s_bound);
    }

    /// <summary>Completes once at least <paramref name="timers"/> of the clock's timers are armed at the same time.</summary>
    public Task WhenArmedAsync(int timers = 1)
    {
        lock (_gate)
        {
            if (_armed >= timers)
            {
                return Task.CompletedTask;
            }

            var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((timers, armed));
            return armed.Task;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this);
        timer.Start(_time.CreateTimer(
            s =>
            {
                timer.Fired();
                callback(s);
            },
            state,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan));
        timer.Change(dueTime, period);
        return timer;
    }

    private void Count(int change)
    {
        lock (_gate)
        {
            _armed += change;
            foreach (var waiter in _waiters.Where(w => _armed >= w.Timers).ToList())
            {
                waiter.Armed.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>A timer of the fake clock, counted armed from a change to a finite due time until it fires (once) or ends.</summary>
    private sealed class ObservedTimer(ObservableClock clock) : ITimer
    {
        // Orders a firing after the change that armed it, whether it fires on the spot (a zero due time) or from an
        // Advance on another thread.
        private readonly Lock _gate = new();
        private ITimer? _inner;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _armed;
        private bool _firedOnce;

        public void Start(ITimer inner) => _inner = inner;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_gate)
            {
                _period = period;
                _firedOnce = false;
                var changed = _inner!.Change(dueTime, period);
                SetArmed(dueTime != Timeout.InfiniteTimeSpan && !_firedOnce);
                return changed;
            }
        }

        public void Fired()
        {
            lock (_gate)
            {
                if (_period == Timeout.InfiniteTimeSpan)
                {
                    _firedOnce = true;
                    SetArmed(false);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _inner!.Dispose();
                SetArmed(false);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void SetArmed(bool armed)
        {
            if (_armed != armed)
            {
                _armed = armed;
                clock.Count(armed ? 1 : -1);
            }
        }
    }
}
