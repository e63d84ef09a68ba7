using System.Text.Json.Serialization;

namespace Berth.Engine.Events;

/// <summary>An event as the Docker API's /events stream gives it (and `events --format json`).</summary>
public sealed class EngineEvent
{
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("from")] public string? From { get; set; }
    public string Type { get; set; } = "container";
    public string Action { get; set; } = "";
    public EventActor Actor { get; set; } = new();
    [JsonPropertyName("scope")] public string Scope { get; set; } = "local";
    [JsonPropertyName("time")] public long Time { get; set; }
    [JsonPropertyName("timeNano")] public long TimeNano { get; set; }
}

public sealed class EventActor
{
    public string ID { get; set; } = "";
    public Dictionary<string, string> Attributes { get; set; } = [];
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EngineEvent))]
public sealed partial class EventJson : JsonSerializerContext;

/// <summary>Writing events: serialization-only generation, no metadata kept in the writer (a monitor, say).</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Serialization, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EngineEvent))]
public sealed partial class EventWriteJson : JsonSerializerContext;
