using System.Text.Json.Serialization;

namespace Berth.Oci;

/// <summary>The state of a container as the runtime spec defines it (given to hooks on stdin).</summary>
public sealed class State
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

public static class SpecVersion
{
    public const string Current = "1.2.0";
}

/// <summary>The lifecycle states of the runtime spec (plus "paused", as runc reports it).</summary>
public static class Status
{
    public const string Creating = "creating";
    public const string Created = "created";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Paused = "paused";
}
