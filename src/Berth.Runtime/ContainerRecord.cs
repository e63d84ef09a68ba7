using System.Globalization;
using System.Text;
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

    // state.json is written and read on every start, stop and delete: read by hand over
    // Utf8JsonReader, written by hand, as the serializer's first use in a process costs
    // milliseconds and Utf8JsonWriter's default encoder builds its tables on first use.

    public byte[] ToJson()
    {
        var b = new StringBuilder(512).Append('{');
        Property(b, "id").Append(Quote(Id)).Append(',');
        Property(b, "bundle").Append(Quote(Bundle)).Append(',');
        Property(b, "rootfs").Append(Quote(Rootfs)).Append(',');
        Property(b, "pid").Append(Pid.ToString(CultureInfo.InvariantCulture)).Append(',');
        Property(b, "pidStartTime").Append(PidStartTime.ToString(CultureInfo.InvariantCulture)).Append(',');
        Property(b, "created").Append(Quote(Created.ToString("O", CultureInfo.InvariantCulture))).Append(',');
        Property(b, "status").Append(Quote(Status)).Append(',');
        Property(b, "cgroupsPath").Append(Quote(CgroupsPath)).Append(',');
        Property(b, "newNamespaces").Append(NewNamespaces.ToString(CultureInfo.InvariantCulture)).Append(',');
        Property(b, "terminal").Append(Terminal ? "true" : "false");
        if (Annotations is not null)
        {
            b.Append(',');
            Property(b, "annotations").Append('{');
            bool first = true;
            foreach (var (k, v) in Annotations)
            {
                if (!first) b.Append(',');
                first = false;
                b.Append(Quote(k)).Append(':').Append(Quote(v));
            }
            b.Append('}');
        }
        return Encoding.UTF8.GetBytes(b.Append('}').ToString());
    }

    private static StringBuilder Property(StringBuilder b, string name) => b.Append('"').Append(name).Append("\":");

    /// <summary>A JSON string literal: quotes, backslashes and control characters escaped, the rest as is.</summary>
    internal static string Quote(string s)
    {
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case < ' ': b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: b.Append(c); break;
            }
        }
        return b.Append('"').ToString();
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
