using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Forwarding;

public sealed class ForwarderErrorsTests
{
    public static TheoryData<string> Failures => new(Enum.GetNames<ForwarderError>().Where(e => e != nameof(ForwarderError.None)));

    [Fact]
    public void Every_error_has_a_row()
    {
        foreach (var error in Enum.GetValues<ForwarderError>())
        {
            Assert.NotNull(ForwarderErrors.Describe(error));
        }
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void Every_failure_has_an_error_type_and_a_log_event_named_like_it(string name)
    {
        var error = Enum.Parse<ForwarderError>(name);
        var entry = ForwarderErrors.Describe(error);
        var logs = new CapturingLoggerProvider();
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello", ApiKey = "the-key" };

        entry.Log!(logs.CreateLogger("test"), new(options, "GET", 101, new IOException("cause")));

        Assert.False(string.IsNullOrEmpty(entry.ErrorType));
        var logged = logs.Entries.ToList();
        Assert.Equal(error.ToString(), logged[0].EventId.Name);

        // A function's failure may add the exception after it, at Debug only.
        Assert.All(logged.Skip(1), e => Assert.Equal(("FunctionFailureDetail", LogLevel.Debug), (e.EventId.Name, e.Level)));
        Assert.InRange(logged.Count, 1, 2);
        Assert.All(logged, e => Assert.DoesNotContain("the-key", e.Text, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failure_the_caller_is_answered_for_has_a_problem_text_and_an_error_status(string name)
    {
        var error = Enum.Parse<ForwarderError>(name);
        var entry = ForwarderErrors.Describe(error);

        if (error is ForwarderError.CallerAborted)
        {
            Assert.Equal(0, entry.Status); // Nobody is left to answer.
            return;
        }

        Assert.InRange(entry.Status, 400, 599);
        Assert.False(string.IsNullOrEmpty(entry.Title));
        Assert.False(string.IsNullOrEmpty(entry.Detail));
    }

    [Fact]
    public void Error_types_are_distinct()
    {
        var types = Enum.GetValues<ForwarderError>().Select(e => ForwarderErrors.Describe(e).ErrorType).OfType<string>().ToList();

        Assert.Equal(types.Count, types.Distinct().Count());
    }
}
