using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// The stand-in's Durable Functions: <c>/api/orchestrators/{name}</c> (POST) starts an instance and answers like
/// <c>CreateCheckStatusResponse</c>, in the in-process shape (camelCase, <c>?taskHub=...&amp;connection=...&amp;code=...</c>,
/// <c>Retry-After</c>) or the isolated worker's (PascalCase, only <c>?code=</c>, <c>&amp;</c> written <c>\u0026</c>,
/// <c>reason={{text}}</c>), as <see cref="IsolatedShape"/> says; <c>/runtime/webhooks/durabletask/instances/{id}</c>
/// answers its status and takes <c>raiseEvent/{name}</c> (an <c>approve</c> event completes it with the event's body
/// as output) and <c>terminate</c>, with the system key as <c>code</c>, as the Functions host requires (an
/// <c>x-functions-key</c> header, read first, must then be the system key too).
/// </summary>
public sealed partial class StandInFunction
{
    public const string TaskHub = "StandInHub";
    public const string Connection = "StandInStorage";

    private readonly ConcurrentDictionary<string, DurableInstance> _instances = new();

    /// <summary>The Durable Task extension's system key, a random one.</summary>
    public string SystemKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether starters answer in the .NET isolated worker's shape rather than the in-process one.</summary>
    public bool IsolatedShape { get; set; }

    /// <summary>Raw request targets of the management API, in arrival order.</summary>
    public ConcurrentQueue<string> DurableTargets { get; } = new();

    /// <summary>Each instance's state by id.</summary>
    public IReadOnlyDictionary<string, DurableInstance> Instances => _instances;

    public sealed class DurableInstance
    {
        public string Status { get; set; } = "Running";

        public string? Output { get; set; }

        public string? Reason { get; set; }

        public ConcurrentQueue<(string Name, string Body)> Events { get; } = new();
    }

    private async Task StartOrchestrationAsync(HttpContext context)
    {
        var id = Guid.NewGuid().ToString("N");
        _instances[id] = new DurableInstance();
        var instance = $"{context.Request.Scheme}://{context.Request.Host}/runtime/webhooks/durabletask/instances/{id}";
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (IsolatedShape)
        {
            var code = $"code={SystemKey}";
            context.Response.Headers.Location = $"{instance}?{code}";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["Id"] = id,
                ["PurgeHistoryDeleteUri"] = $"{instance}?{code}",
                ["SendEventPostUri"] = $"{instance}/raiseEvent/{{eventName}}?{code}",
                ["StatusQueryGetUri"] = $"{instance}?{code}",
                ["TerminatePostUri"] = $"{instance}/terminate?reason={{{{text}}}}&{code}",
                ["SuspendPostUri"] = $"{instance}/suspend?reason={{{{text}}}}&{code}",
                ["ResumePostUri"] = $"{instance}/resume?reason={{{{text}}}}&{code}",
            }));
            return;
        }

        var hidden = $"taskHub={TaskHub}&connection={Connection}&code={SystemKey}";
        context.Response.Headers.Location = $"{instance}?{hidden}";
        context.Response.Headers.RetryAfter = "10";
        await context.Response.WriteAsync(
            $$"""
            {
              "id": "{{id}}",
              "statusQueryGetUri": "{{instance}}?{{hidden}}",
              "sendEventPostUri": "{{instance}}/raiseEvent/{eventName}?{{hidden}}",
              "terminatePostUri": "{{instance}}/terminate?reason={text}&{{hidden}}",
              "rewindPostUri": "{{instance}}/rewind?reason={text}&{{hidden}}",
              "purgeHistoryDeleteUri": "{{instance}}?{{hidden}}",
              "restartPostUri": "{{instance}}/restart?{{hidden}}",
              "suspendPostUri": "{{instance}}/suspend?reason={text}&{{hidden}}",
              "resumePostUri": "{{instance}}/resume?reason={text}&{{hidden}}"
            }
            """);
    }

    private async Task ManageInstanceAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        DurableTargets.Enqueue(target);
        var query = context.Request.Query;
        var key = context.Request.Headers.ContainsKey("x-functions-key") ? context.Request.Headers["x-functions-key"].ToString() : query["code"].ToString();
        var hubOk = IsolatedShape || (query["taskHub"] == TaskHub && query["connection"] == Connection);
        if (key != SystemKey || !hubOk)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        // instances/{id}[/{operation}[/{eventName}]]
        var segments = context.Request.Path.Value!["/runtime/webhooks/durabletask/".Length..].Split('/');
        if (segments.Length < 2 || segments[0] != "instances" || !_instances.TryGetValue(segments[1], out var instance))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var operation = segments.Length > 2 ? segments[2] : string.Empty;
        switch (operation)
        {
            case "" when HttpMethods.IsGet(context.Request.Method):
                var running = instance.Status == "Running";
                context.Response.StatusCode = running ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
                if (running)
                {
                    // The very URL requested, hidden parameters included, as Durable answers a running instance.
                    context.Response.Headers.Location = $"{context.Request.Scheme}://{context.Request.Host}{target}";
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["instanceId"] = segments[1],
                    ["runtimeStatus"] = instance.Status,
                    ["output"] = instance.Output,
                }));
                return;
            case "raiseEvent" when segments.Length == 4 && HttpMethods.IsPost(context.Request.Method):
                using (var reader = new StreamReader(context.Request.Body))
                {
                    var body = await reader.ReadToEndAsync();
                    instance.Events.Enqueue((Uri.UnescapeDataString(segments[3]), body));
                    if (segments[3] == "approve")
                    {
                        instance.Status = "Completed";
                        instance.Output = body;
                    }
                }

                context.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
            case "terminate" when segments.Length == 3 && HttpMethods.IsPost(context.Request.Method):
                instance.Status = "Terminated";
                instance.Reason = query["reason"];
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }
    }
}
