using System.Text.Json.Serialization;

namespace Berth.Runtime;

/// <summary>What the runtime keeps about one container in &lt;root&gt;/&lt;id&gt;/state.json.</summary>
public sealed class ContainerRecord
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    /// <summary>Field 22 of /proc/pid/stat at creation: tells our init from a recycled pid.</summary>
    [JsonPropertyName("pidStartTime")] public ulong PidStartTime { get; set; }
    [JsonPropertyName("created")] public DateTime Created { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = Oci.Status.Creating;
    [JsonPropertyName("cgroupsPath")] public string CgroupsPath { get; set; } = "";
    [JsonPropertyName("newNamespaces")] public ulong NewNamespaces { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("terminal")] public bool Terminal { get; set; }
}

/// <summary>The output of `state` and `list --format json`, as runc prints them.</summary>
public sealed class StateOutput
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = Oci.SpecVersion.Current;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    [JsonPropertyName("created")] public DateTime Created { get; set; }
    [JsonPropertyName("owner")] public string Owner { get; set; } = "";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}
