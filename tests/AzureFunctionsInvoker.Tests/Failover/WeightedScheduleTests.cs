using AzureFunctionsInvoker.Failover;

namespace AzureFunctionsInvoker.Tests.Failover;

public sealed class WeightedScheduleTests
{
    [Theory]
    [InlineData(new[] { 3, 1 }, new[] { 0, 0, 1, 0 })]
    [InlineData(new[] { 1, 1 }, new[] { 0, 1 })]
    [InlineData(new[] { 5, 1, 1 }, new[] { 0, 0, 1, 0, 2, 0, 0 })]
    public void Turns_follow_the_weights_spread_out(int[] weights, int[] expected)
    {
        var schedule = WeightedSchedule.Of([.. Enumerable.Range(0, weights.Length)], weights);

        Assert.Equal(expected, schedule);
    }

    [Fact]
    public void A_cycle_gives_each_member_as_many_turns_as_its_weight()
    {
        var schedule = WeightedSchedule.Of([7, 9, 4], [10, 3, 1]);

        Assert.Equal(14, schedule.Length);
        Assert.Equal([10, 3, 1], new[] { 7, 9, 4 }.Select(m => schedule.Count(t => t == m)));
    }
}
