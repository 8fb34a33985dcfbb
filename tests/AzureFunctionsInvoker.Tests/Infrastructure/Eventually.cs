namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>Waits on state that has no signal of its own (kernel socket tables, counters), by polling it against a deadline.</summary>
public static class Eventually
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns once <paramref name="condition"/> holds; fails with <paramref name="what"/> when <paramref name="bound"/> passes first.</summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan bound, string what)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {bound.TotalSeconds} s: {what}");
            await Task.Delay(s_interval);
        }
    }

    /// <summary>
    /// Returns the value of <paramref name="read"/> once it has stopped changing for <paramref name="quiet"/> (say, a
    /// writer blocked by back-pressure); fails when it is still changing after <paramref name="bound"/>.
    /// </summary>
    public static async Task<long> SettlesAsync(Func<long> read, TimeSpan quiet, TimeSpan bound, string what)
    {
        var deadline = DateTime.UtcNow + bound;
        var value = read();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow - since < quiet)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Still changing after {bound.TotalSeconds} s: {what}");
            await Task.Delay(s_interval);
            var next = read();
            if (next != value)
            {
                (value, since) = (next, DateTime.UtcNow);
            }
        }

        return value;
    }
}
