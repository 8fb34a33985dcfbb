using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// The backends of a function with two or more, for one set of options: which one a request goes to first (the
/// lowest priority group with a backend whose circuit is not open, by smooth weighted round-robin within it), and
/// which one next when an attempt fails. No lock: each group's schedule is fixed, and a request takes its place in it
/// with one interlocked increment.
/// </summary>
internal sealed class BackendPool
{
    private readonly Group[] _groups;

    /// <param name="backends">The backends in configuration order; each has a <see cref="ForwardingTarget.Circuit"/>.</param>
    /// <param name="priorities">Each backend's priority.</param>
    /// <param name="weights">Each backend's weight.</param>
    public BackendPool(IReadOnlyList<ForwardingTarget> backends, IReadOnlyList<int> priorities, IReadOnlyList<int> weights)
    {
        var order = Enumerable.Range(0, backends.Count).OrderBy(i => priorities[i]).ToArray();
        Backends = [.. order.Select(i => backends[i])];
        Priorities = [.. order.Select(i => priorities[i])];
        _groups = [.. Enumerable.Range(0, order.Length)
            .GroupBy(i => Priorities[i])
            .Select(group => new Group(WeightedSchedule.Of([.. group], [.. group.Select(i => weights[order[i]])])))];
    }

    /// <summary>The backends by priority, configuration order within one.</summary>
    public ForwardingTarget[] Backends { get; }

    /// <summary>The priority of each of <see cref="Backends"/>.</summary>
    public int[] Priorities { get; }

    /// <summary>
    /// The backend (an index into <see cref="Backends"/>) a request goes to first. When every circuit is open, the
    /// one whose break ends first: the caller gets a backend's answer rather than one made up here.
    /// </summary>
    /// <param name="trial">The request's ticket when it tries a half-open circuit (see <see cref="CircuitState.TryEnter"/>), which it hands back when done; else 0.</param>
    public int First(out long trial)
    {
        foreach (var group in _groups)
        {
            var schedule = group.Schedule;
            var start = (uint)Interlocked.Increment(ref group.Next) - 1;
            for (var i = 0u; i < schedule.Length; i++)
            {
                var backend = schedule[(start + i) % schedule.Length];
                if (Backends[backend].Circuit!.State.TryEnter(out trial))
                {
                    return backend;
                }
            }
        }

        trial = 0;
        var first = 0;
        for (var i = 1; i < Backends.Length; i++)
        {
            if (Backends[i].Circuit!.State.OpenUntil < Backends[first].Circuit!.State.OpenUntil)
            {
                first = i;
            }
        }

        return first;
    }

    /// <summary>The backend a failed attempt would move on to: the first by priority not yet <paramref name="tried"/> whose circuit lets it in; -1 when none.</summary>
    public int Next(ulong tried)
    {
        for (var i = 0; i < Backends.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && Backends[i].Circuit!.State.IsAvailable)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The backend a failed attempt moves on to: the first by priority not yet <paramref name="tried"/> whose circuit
    /// lets the request in now (<paramref name="trial"/> as for <see cref="First"/>). When none does any more (another
    /// request took the trial <see cref="Next"/> saw free), <paramref name="fallback"/>, outside any trial: the request
    /// gets a backend's answer rather than none.
    /// </summary>
    public int Enter(ulong tried, int fallback, out long trial)
    {
        for (var i = 0; i < Backends.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && Backends[i].Circuit!.State.TryEnter(out trial))
            {
                return i;
            }
        }

        trial = 0;
        return fallback;
    }

    private sealed class Group(int[] schedule)
    {
        public readonly int[] Schedule = schedule;

        // The requests that took a place in the schedule so far.
        public int Next;
    }
}
