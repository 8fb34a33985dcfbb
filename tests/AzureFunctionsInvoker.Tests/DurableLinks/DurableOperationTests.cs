using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class DurableOperationTests
{
    [Theory]
    [InlineData("terminate", "terminate")]
    [InlineData("TERMINATE", "terminate")]
    [InlineData("suspend", "suspend")]
    [InlineData("resume", "resume")]
    [InlineData("rewind", "rewind")]
    [InlineData("restart", "restart")]
    [InlineData("raiseEvent/approve", "raiseEvent/approve")]
    [InlineData("RAISEEVENT/a%20b", "raiseEvent/a%20b")]
    [InlineData("raiseEvent/{eventName}", "raiseEvent/{eventName}")]
    public void Accepts_the_operations_of_an_instance(string operation, string canonical)
    {
        Assert.True(DurableOperation.TryParse(operation, out var parsed));
        Assert.Equal(canonical, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("purge")]
    [InlineData("terminate/x")]
    [InlineData("terminate;x")]
    [InlineData("raiseEvent")]
    [InlineData("raiseEvent/")]
    [InlineData("raiseEvent/a/b")]
    [InlineData("raiseEvent/..")]
    [InlineData("raiseEvent/.")]
    [InlineData("raiseEvent;x/a")]
    [InlineData("instances/other")]
    [InlineData("../other")]
    public void Refuses_anything_else(string operation)
    {
        Assert.False(DurableOperation.TryParse(operation, out var canonical));
        Assert.Empty(canonical);
    }
}
