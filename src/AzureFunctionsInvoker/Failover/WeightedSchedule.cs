namespace AzureFunctionsInvoker.Failover;

/// <summary>
/// Smooth weighted round-robin (nginx's), laid out once: one cycle of as many turns as the weights add up to, in which
/// each member gets turns in proportion to its weight, spread out rather than in runs (weights 3 and 1 give A A B A,
/// whose cycle repeats).
/// </summary>
internal static class WeightedSchedule
{
    /// <summary>One cycle of turns among <paramref name="members"/>, weighted by <paramref name="weights"/>.</summary>
    public static int[] Of(int[] members, int[] weights)
    {
        var total = weights.Sum();
        var current = new int[members.Length];
        var schedule = new int[total];
        for (var turn = 0; turn < total; turn++)
        {
            var best = 0;
            for (var i = 0; i < members.Length; i++)
            {
                current[i] += weights[i];
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[turn] = members[best];
        }

        return schedule;
    }
}
