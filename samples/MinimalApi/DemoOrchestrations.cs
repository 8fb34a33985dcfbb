using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MinimalApi;

/// <summary>
/// The demo Function App's Durable Functions, answering as the Durable Task extension does (in-process shape): a starter
/// at <c>/api/hello/orchestrations/hello</c> (POST, with the function key) answers 202 like
/// <c>CreateCheckStatusResponse</c>, whose URLs carry the task hub, the connection and the extension's system key;
/// <c>/runtime/webhooks/durabletask/instances/{id}</c> (with the system key as <c>code</c>) reports <c>Running</c> (202)
/// until the orchestration's <c>greeted</c> event is raised (<c>raiseEvent/greeted</c>), then <c>Completed</c> (200) with
/// <c>Hello {name}!</c> as its output; unraised after 10 minutes, it completes without a greeting. <c>terminate</c> ends
/// it as <c>Terminated</c>. An event or a terminate for an instance that has ended gets 410 Gone, as Durable answers.
/// Behind the proxy a caller sees none of it: only links through the app.
/// </summary>
internal sealed class DemoOrchestrations
{
    private const string TaskHub = "DemoHub";
    private const string Connection = "AzureWebJobsStorage";
    private const string Greeted = "greeted";
    private const int WaitsForMinutes = 10;

    private readonly ConcurrentDictionary<string, Instance> _instances = new();
    private readonly string _systemKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public void Map(WebApplication app, string functionKey)
    {
        app.MapPost("/api/hello/orchestrations/hello", (HttpRequest request, string? name) =>
            request.Headers["x-functions-key"] == functionKey ? Start(request, name) : Results.Unauthorized());
        app.MapGet("/runtime/webhooks/durabletask/instances/{id}", (HttpRequest request, string id) =>
            Authorized(request) ? Status(request, id) : Results.Unauthorized());
        app.MapPost("/runtime/webhooks/durabletask/instances/{id}/raiseEvent/{eventName}", (HttpRequest request, string id, string eventName) =>
            Authorized(request) ? Update(id, instance => instance.Raise(eventName)) : Results.Unauthorized());
        app.MapPost("/runtime/webhooks/durabletask/instances/{id}/terminate", (HttpRequest request, string id, string? reason) =>
            Authorized(request) ? Update(id, instance => instance.Terminate(reason ?? string.Empty)) : Results.Unauthorized());
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

        var (status, output, events) = instance.Read();
        var body = new DemoStatus(id, status, output, events);
        var json = Results.Json(body, DemoJsonContext.Default.DemoStatus, statusCode: status == "Running" ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);

        // A running instance's status points at itself, as Durable's does: the very URL requested, key and all.
        return status == "Running"
            ? new WithLocation($"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}", json)
            : json;
    }

    // 202 when the running instance took it; 410 Gone once it has ended, as Durable answers.
    private IResult Update(string id, Func<Instance, bool> update)
    {
        if (!_instances.TryGetValue(id, out var instance))
        {
            return Results.NotFound();
        }

        return update(instance) ? Results.Accepted() : Results.StatusCode(StatusCodes.Status410Gone);
    }

    private bool Authorized(HttpRequest request) =>
        request.Query["code"] == _systemKey && request.Query["taskHub"] == TaskHub && request.Query["connection"] == Connection;

    // The orchestration: waits for its greeted event (at most WaitsForMinutes), then greets. Read and changed under its lock, so
    // an event is either taken by the running instance or refused by the ended one.
    private sealed class Instance(string name, DateTimeOffset started)
    {
        private readonly List<string> _events = [];
        private bool _greeted;
        private string? _terminatedFor;

        public (string Status, string? Output, string[] Events) Read()
        {
            lock (_events)
            {
                // As Durable reports them: a terminated instance's output is the reason it was given.
                return _terminatedFor is { } reason ? ("Terminated", reason, [.. _events])
                    : _greeted ? ("Completed", $"Hello {name}!", [.. _events])
                    : TimedOut ? ("Completed", $"No greeting for {name} within {WaitsForMinutes} minutes.", [.. _events])
                    : ("Running", null, [.. _events]);
            }
        }

        public bool Raise(string eventName)
        {
            lock (_events)
            {
                if (!IsRunning)
                {
                    return false;
                }

                _events.Add(eventName);
                if (string.Equals(eventName, Greeted, StringComparison.OrdinalIgnoreCase))
                {
                    _greeted = true;
                }

                return true;
            }
        }

        public bool Terminate(string reason)
        {
            lock (_events)
            {
                if (!IsRunning)
                {
                    return false;
                }

                _terminatedFor = reason;
                return true;
            }
        }

        private bool TimedOut => DateTimeOffset.UtcNow - started >= TimeSpan.FromMinutes(WaitsForMinutes);

        private bool IsRunning => _terminatedFor is null && !_greeted && !TimedOut;
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
