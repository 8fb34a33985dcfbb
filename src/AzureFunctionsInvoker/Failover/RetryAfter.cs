using System.Net.Http.Headers;

namespace AzureFunctionsInvoker.Failover;

/// <summary>How long a response's <c>Retry-After</c> asks to stay away: seconds, or an HTTP date.</summary>
internal static class RetryAfter
{
    /// <summary>The wait <paramref name="header"/> asks for, never below zero nor above <paramref name="max"/>; <see langword="null"/> without one.</summary>
    public static TimeSpan? Of(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan max)
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
