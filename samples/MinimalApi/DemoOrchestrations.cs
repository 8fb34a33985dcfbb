using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MinimalApi;

/// <summary>
/// The demo Function App's Durable Functions, answering as the Durable Task extension does (in-process shape): a starter
/// at <c>/api/hello/orchestrations/hello</c> (POST, with the function key) answers 202 like
/// <c>CreateCheckStatusResponse</c>, whose URLs carry the task hub, the connection and the extension's system key;
/// <c>/runtime/webhooks/durabletask/instances/{id}</c> (with the system key as <c>code</c>) reports <c>Running</c> for a
/// few seconds, then <c>Completed</c> with an output, and takes <c>raiseEvent/{eventName}</c> and <c>terminate</c>.
/// Behind the proxy a caller sees none of it: only links through the app.
/// </summary>
internal sealed class DemoOrchestrations
{
    private const string TaskHub = "DemoHub";
    private const string Connection = "AzureWebJobsStorage";
    private static readonly TimeSpan s_runningFor = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<string, Instance> _instances = new();
    private readonly string _systemKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public void Map(WebApplication app, string functionKey)
    {
        app.MapPost("/api/hello/orchestrations/hello", (HttpRequest request, string? name) =>
            request.Headers["x-functions-key"] == functionKey ? Start(request, name) : Results.Unauthorized());
        app.MapGet("/runtime/webhooks/durabletask/instances/{id}", (HttpRequest request, string id) =>
            Authorized(request) ? Status(request, id) : Results.Unauthorized());
        app.MapPost("/runtime/webhooks/durabletask/instances/{id}/raiseEvent/{eventName}", (HttpRequest request, string id, string eventName) =>
            Authorized(request) ? Update(id, instance => instance.Events.Enqueue(eventName)) : Results.Unauthorized());
        app.MapPost("/runtime/webhooks/durabletask/instances/{id}/terminate", (HttpRequest request, string id, string? reason) =>
            Authorized(request) ? Update(id, instance => instance.TerminatedFor = reason ?? string.Empty) : Results.Unauthorized());
    }

    private IResult Start(HttpRequest request, string? name)
    {
        var id = Guid.NewGuid().ToString("N");
        _instances[id] = new Instance(name ?? "World", DateTimeOffset.UtcNow);
        var instance = $"{request.Scheme}://{request.Host}/runtime/webhooks/durabletask/instances/{id}";
        var hidden = $"taskHub={TaskHub}&connection={Connection}&code={_systemKey}";
        request.HttpContext.Response.Headers.RetryAfter = "10";
        var links = new Dictionary<string, string>
        {
            ["id"] = id,
            ["statusQueryGetUri"] = $"{instance}?{hidden}",
            ["sendEventPostUri"] = $"{instance}/raiseEvent/{{eventName}}?{hidden}",
            ["terminatePostUri"] = $"{instance}/terminate?reason={{text}}&{hidden}",
            ["purgeHistoryDeleteUri"] = $"{instance}?{hidden}",
        };
        return new WithLocation(
            $"{instance}?{hidden}",
            Results.Json(links, DemoJsonContext.Default.DictionaryStringString, statusCode: StatusCodes.Status202Accepted));
    }

    private IResult Status(HttpRequest request, string id)
    {
        if (!_instances.TryGetValue(id, out var instance))
        {
            return Results.NotFound();
        }

        var status = instance.TerminatedFor is not null ? "Terminated"
            : DateTimeOffset.UtcNow - instance.Started < s_runningFor ? "Running"
            : "Completed";
        var body = new DemoStatus(id, status, status == "Completed" ? $"Hello {instance.Name}!" : null, [.. instance.Events]);
        var json = Results.Json(body, DemoJsonContext.Default.DemoStatus, statusCode: status == "Running" ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);

        // A running instance's status points at itself, as Durable's does: the very URL requested, key and all.
        return status == "Running"
            ? new WithLocation($"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}", json)
            : json;
    }

    private IResult Update(string id, Action<Instance> update)
    {
        if (!_instances.TryGetValue(id, out var instance))
        {
            return Results.NotFound();
        }

        update(instance);
        return Results.Accepted();
    }

    private bool Authorized(HttpRequest request) =>
        request.Query["code"] == _systemKey && request.Query["taskHub"] == TaskHub && request.Query["connection"] == Connection;

    private sealed class Instance(string name, DateTimeOffset started)
    {
        public string Name { get; } = name;

        public DateTimeOffset Started { get; } = started;

        public ConcurrentQueue<string> Events { get; } = new();

        public string? TerminatedFor { get; set; }
    }

    // The result with a Location header.
    private sealed class WithLocation(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
