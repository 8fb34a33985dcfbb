using AzureFunctionsInvoker.Connections;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Connections;

public sealed class StepTimeoutTests
{
    [Fact]
    public void A_step_that_takes_too_long_cancels_and_counts_as_the_functions()
    {
        using var timeout = TenSeconds(out var time);

        timeout.Restart();
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(timeout.HasExpired);
    }

    [Fact]
    public async Task A_caller_that_goes_away_cancels_but_is_not_the_functions_timeout()
    {
        using var caller = new CancellationTokenSource();
        using var timeout = TenSeconds(out _, caller.Token);

        // Completes once the caller's token ran its callbacks, this timeout's among them.
        await caller.CancelAsync();

        Assert.True(timeout.Token.IsCancellationRequested);
        Assert.False(timeout.HasExpired);
    }

    // The connection handler's ConnectTimeout is this Timeout on real time: its cancellation, around a TimeoutException,
    // can fail the send before this timer fires, and means the same.
    [Fact]
    public async Task The_connection_handlers_connect_timeout_is_a_timeout_before_this_timer_fires_unless_the_caller_left()
    {
        using var caller = new CancellationTokenSource();
        using var timeout = TenSeconds(out _, caller.Token);
        timeout.Restart();
        var connectTimedOut = new TaskCanceledException("The operation was canceled.", new TimeoutException());

        Assert.True(timeout.RanOut(connectTimedOut));
        Assert.False(timeout.RanOut(new TaskCanceledException()));
        Assert.False(timeout.RanOut(new HttpRequestException(HttpRequestError.ConnectionError, "refused", new TimeoutException())));

        await caller.CancelAsync();

        Assert.False(timeout.RanOut(connectTimedOut));
    }

    [Fact]
    public void A_new_connection_starts_a_fresh_step_before_the_request_waited_on_its_caller()
    {
        using var timeout = TenSeconds(out var time);

        timeout.ConnectionEstablished();

        AssertExpiresAfterTenSecondsFromNow(timeout, time);
    }

    [Fact]
    public void Each_restart_gives_the_step_a_full_timeout_again()
    {
        using var timeout = TenSeconds(out var time);

        timeout.Restart();
        time.Advance(TimeSpan.FromSeconds(9));
        timeout.Restart();

        AssertExpiresAfterTenSecondsFromNow(timeout, time);
    }

    [Fact]
    public void A_paused_step_never_expires_and_a_restart_after_it_times_from_the_restart()
    {
        using var timeout = TenSeconds(out var time);

        timeout.Restart();
        timeout.Pause();
        time.Advance(TimeSpan.FromMinutes(30));
        timeout.Restart();

        AssertExpiresAfterTenSecondsFromNow(timeout, time);
    }

    [Fact]
    public void A_connection_made_after_the_request_waited_on_its_caller_does_not_restart_the_step()
    {
        using var timeout = TenSeconds(out var time);

        timeout.Restart();
        timeout.Pause();
        timeout.ConnectionEstablished();
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.False(timeout.Token.IsCancellationRequested);
    }

    [Fact]
    public void Changes_after_dispose_are_ignored()
    {
        var timeout = TenSeconds(out var time);
        timeout.Dispose();

        timeout.Restart();
        timeout.Pause();
        timeout.ConnectionEstablished();
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.False(timeout.HasExpired);
    }

    private static StepTimeout TenSeconds(out FakeTimeProvider time, CancellationToken callerAborted = default)
    {
        time = new FakeTimeProvider();
        return new StepTimeout(TimeSpan.FromSeconds(10), time, callerAborted);
    }

    private static void AssertExpiresAfterTenSecondsFromNow(StepTimeout timeout, FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(timeout.Token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(timeout.HasExpired);
    }
}
