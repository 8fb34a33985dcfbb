using System.Text.Json;
using System.Text.Json.Serialization;

namespace MinimalApi;

/// <summary>The demo's JSON, serialized without reflection (the sample publishes as Native AOT).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(DemoStatus))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;
