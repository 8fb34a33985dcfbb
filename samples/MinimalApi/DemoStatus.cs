namespace MinimalApi;

/// <summary>An orchestration instance's status, as the demo's Durable management API reports it.</summary>
internal sealed record DemoStatus(string InstanceId, string RuntimeStatus, string? Output, string[] Events);
