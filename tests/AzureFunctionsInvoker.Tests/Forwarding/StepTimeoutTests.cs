using AzureFunctionsInvoker.Forwarding;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class StepTimeoutTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_step_that_takes_too_long_cancels_and_counts_as_the_functions()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMilliseconds(20), CancellationToken.None);

        timeout.Restart();

        await WhenCancelled(timeout.Token);
        Assert.True(timeout.HasExpired);
    }

    [Fact]
    public async Task A_caller_that_goes_away_cancels_but_is_not_the_functions_timeout()
    {
        using var caller = new CancellationTokenSource();
        using var timeout = new StepTimeout(TimeSpan.FromMinutes(10), caller.Token);

        await caller.CancelAsync();

        await WhenCancelled(timeout.Token);
        Assert.False(timeout.HasExpired);
    }

    [Fact]
    public async Task A_new_connection_starts_a_fresh_step_before_the_request_waited_on_its_caller()
    {
        using var timeout = new StepTimeout(TimeSpan.FromMilliseconds(20), CancellationToken.None);

        timeout.ConnectionEstablished();

        await WhenCancelled(timeout.Token);
        Assert.True(timeout.HasExpired);
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
        var timeout = new StepTimeout(TimeSpan.FromMinutes(10), CancellationToken.None);
        timeout.Dispose();

        timeout.Restart();
        timeout.Pause();
        timeout.ConnectionEstablished();

        Assert.False(timeout.HasExpired);
    }

    private static StepTimeout TenSeconds(out FakeTimeProvider time)
    {
        time = new FakeTimeProvider();
        return new StepTimeout(TimeSpan.FromSeconds(10), CancellationToken.None, time);
    }

    private static void AssertExpiresAfterTenSecondsFromNow(StepTimeout timeout, FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(timeout.Token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(timeout.HasExpired);
    }

    private static Task WhenCancelled(CancellationToken token) =>
        Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(s_bound);
}
