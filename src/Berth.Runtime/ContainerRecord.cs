using System.Text.Json;
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

    // state.json is written and read on every start, stop and delete; by hand over Utf8JsonWriter/
    // Utf8JsonReader, as the serializer's first use in a process costs milliseconds.

    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            w.WriteString("bundle", Bundle);
            w.WriteString("rootfs", Rootfs);
            w.WriteNumber("pid", Pid);
            w.WriteNumber("pidStartTime", PidStartTime);
            w.WriteString("created", Created);
            w.WriteString("status", Status);
            w.WriteString("cgroupsPath", CgroupsPath);
            w.WriteNumber("newNamespaces", NewNamespaces);
            w.WriteBoolean("terminal", Terminal);
            if (Annotations is not null)
            {
                w.WriteStartObject("annotations");
                foreach (var (k, v) in Annotations) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static ContainerRecord FromJson(ReadOnlySpan<byte> json)
    {
        var r = new ContainerRecord();
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("state.json: not an object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "id": r.Id = reader.GetString() ?? ""; break;
                case "bundle": r.Bundle = reader.GetString() ?? ""; break;
                case "rootfs": r.Rootfs = reader.GetString() ?? ""; break;
                case "pid": r.Pid = reader.GetInt32(); break;
                case "pidStartTime": r.PidStartTime = reader.GetUInt64(); break;
                case "created": r.Created = reader.GetDateTime(); break;
                case "status": r.Status = reader.GetString() ?? ""; break;
                case "cgroupsPath": r.CgroupsPath = reader.GetString() ?? ""; break;
                case "newNamespaces": r.NewNamespaces = reader.GetUInt64(); break;
                case "terminal": r.Terminal = reader.GetBoolean(); break;
                case "annotations":
                    if (reader.TokenType == JsonTokenType.Null) break;
                    r.Annotations = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        string key = reader.GetString()!;
                        reader.Read();
                        r.Annotations[key] = reader.GetString() ?? "";
                    }
                    break;
                default: reader.Skip(); break;
            }
        }
        return r;
    }
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
