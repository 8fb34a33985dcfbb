using System.Net.Http.Headers;
using AzureFunctionsInvoker.Failover;

namespace AzureFunctionsInvoker.Tests.Failover;

public sealed class CircuitBreakerRetryAfterHeaderTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_max = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("2", 2_000)]
    [InlineData("0", 0)]
    [InlineData("3600", 60_000)]
    [InlineData("Mon, 30 Nov 2026 12:00:30 GMT", 30_000)]
    [InlineData("Mon, 30 Nov 2026 13:00:00 GMT", 60_000)]
    [InlineData("Mon, 30 Nov 2026 11:00:00 GMT", 0)]
    [InlineData("2147483647", 60_000)]
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT", 60_000)]
    [InlineData("Mon, 01 Jan 0001 00:00:00 GMT", 0)]
    public void Seconds_or_a_date_never_below_zero_nor_above_the_cap(string header, int expectedMilliseconds)
    {
        var wait = CircuitBreaker.RetryAfterOf(RetryConditionHeaderValue.Parse(header), s_now, s_max);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), wait);
    }

    [Fact]
    public void No_header_is_no_wait() => Assert.Null(CircuitBreaker.RetryAfterOf(null, s_now, s_max));
}
