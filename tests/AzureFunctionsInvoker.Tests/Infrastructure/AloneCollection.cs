namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// Tests that load the machine or measure this process (threads, heap, sockets, peak RSS, allocations, who listens
/// to the library's process-wide activity source) run in this collection: after all others and one at a time, so
/// they neither disturb the timing of other tests nor count their resources or listeners.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
