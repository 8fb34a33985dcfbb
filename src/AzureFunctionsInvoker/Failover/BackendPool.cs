using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// Where a function's requests may go, for one set of options: one backend, or two or more, each behind its circuit.
/// With two or more, which one a request goes to first (the lowest priority group with a backend whose circuit is not
/// open, by smooth weighted round-robin within it), and which one next when an attempt fails. No lock: each group's
/// schedule is fixed, and a request takes its place in it with one interlocked increment. A pool of one backend has no
/// schedule and no circuit: there is nowhere else to go.
/// </summary>
internal sealed class BackendPool
{
    private readonly Group[] _groups;

    // Each backend's circuit, for a pool of two or more (and the keyless pools of their backends); empty otherwise.
    private readonly CircuitBreaker[] _circuits;

    // For each backend, a pool of one sending without the function's key (see Backend.Keyless), judged by the same circuit.
    private readonly BackendPool[] _keyless;

    /// <param name="backends">The backends in configuration order.</param>
    /// <param name="circuits">Each backend's circuit.</param>
    /// <param name="priorities">Each backend's priority.</param>
    /// <param name="weights">Each backend's weight.</param>
    public BackendPool(IReadOnlyList<Backend> backends, IReadOnlyList<CircuitBreaker> circuits, IReadOnlyList<int> priorities, IReadOnlyList<int> weights)
    {
        var order = Enumerable.Range(0, backends.Count).OrderBy(i => priorities[i]).ToArray();
        Backends = [.. order.Select(i => backends[i])];
        Priorities = [.. order.Select(i => priorities[i])];
        _circuits = [.. order.Select(i => circuits[i])];
        _groups = [.. Enumerable.Range(0, order.Length)
            .GroupBy(i => Priorities[i])
            .Select(group => new Group(WeightedSchedule.Of([.. group], [.. group.Select(i => weights[order[i]])])))];
        _keyless = [.. Backends.Select((backend, i) => new BackendPool(backend.Keyless, _circuits[i]))];
    }

    // A pool of one: the backend alone, judged by circuit when it has one, never scheduled.
    private BackendPool(Backend backend, CircuitBreaker? circuit)
    {
        Backends = [backend];
        Priorities = [0];
        _circuits = circuit is null ? [] : [circuit];
        _groups = [];
        _keyless = circuit is null && !ReferenceEquals(backend.Keyless, backend) ? [new BackendPool(backend.Keyless, null)] : [];
    }

    /// <summary>A pool of one backend, with no circuit.</summary>
    public static BackendPool Of(Backend backend) => new(backend, circuit: null);

    /// <summary>Whether a failed attempt may move on to another backend: the pool has two or more.</summary>
    public bool HasFailover => Backends.Length > 1;

    /// <summary>The backends by priority, configuration order within one.</summary>
    public Backend[] Backends { get; }

    /// <summary>The priority of each of <see cref="Backends"/>.</summary>
    public int[] Priorities { get; }

    /// <summary>
    /// The backend (an index into <see cref="Backends"/>) a request goes to first. When every circuit is open, the
    /// one whose break ends first: the caller gets a backend's answer rather than one made up here.
    /// </summary>
    /// <param name="trial">The request's ticket when it tries a half-open circuit (see <see cref="CircuitBreaker.CircuitState.TryEnter"/>), which it hands back when done; else 0.</param>
    public int First(out long trial)
    {
        trial = 0;
        if (!HasFailover)
        {
            return 0;
        }

        foreach (var group in _groups)
        {
            var schedule = group.Schedule;
            var start = (uint)Interlocked.Increment(ref group.Next) - 1;
            for (var i = 0u; i < schedule.Length; i++)
            {
                var backend = schedule[(start + i) % schedule.Length];
                if (_circuits[backend].State.TryEnter(out trial))
                {
                    return backend;
                }
            }
        }

        trial = 0;
        var first = 0;
        for (var i = 1; i < Backends.Length; i++)
        {
            if (_circuits[i].State.OpenUntil < _circuits[first].State.OpenUntil)
            {
                first = i;
            }
        }

        return first;
    }

    /// <summary>The backend a failed attempt would move on to: the first by priority not yet <paramref name="tried"/> whose circuit lets it in; -1 when none.</summary>
    public int Next(ulong tried)
    {
        for (var i = 0; HasFailover && i < Backends.Length; i++)
        {
            if ((tried & (1UL << i)) == 0 && _circuits[i].State.IsAvailable)
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
            if ((tried & (1UL << i)) == 0 && _circuits[i].State.TryEnter(out trial))
            {
                return i;
            }
        }

        trial = 0;
        return fallback;
    }

    /// <summary>The circuit of the backend at <paramref name="index"/> of <see cref="Backends"/>; <see langword="null"/> when it has none.</summary>
    public CircuitBreaker? CircuitOf(int index) => _circuits.Length == 0 ? null : _circuits[index];

    /// <summary>
    /// A pool of one: the backend whose origin is <paramref name="origin"/> (see <see cref="DurableLink.OriginOf"/>), sending
    /// without the function's key, for a Durable link made on it; <see langword="null"/> when no backend is there any more.
    /// </summary>
    public BackendPool? KeylessAt(string origin)
    {
        for (var i = 0; i < _keyless.Length; i++)
        {
            if (string.Equals(origin, DurableLink.OriginOf(Backends[i].FunctionUri), StringComparison.OrdinalIgnoreCase))
            {
                return _keyless[i];
            }
        }

        return null;
    }

    private sealed class Group(int[] schedule)
    {
        public readonly int[] Schedule = schedule;

        // The requests that took a place in the schedule so far.
        public int Next;
    }
}
