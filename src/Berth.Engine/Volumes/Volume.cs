using System.Text.Json.Serialization;

namespace Berth.Engine.Volumes;

/// <summary>A volume as the Docker API shows it (`volume inspect`).</summary>
public sealed class Volume
{
    public DateTime CreatedAt { get; set; }
    public string Driver { get; set; } = "local";
    public Dictionary<string, string> Labels { get; set; } = [];
    public string Mountpoint { get; set; } = "";
    public string Name { get; set; } = "";
    public Dictionary<string, string> Options { get; set; } = [];
    public string Scope { get; set; } = "local";
}

[JsonSourceGenerationOptions(WriteIndented = true, Converters = [typeof(Model.Rfc3339Converter)])]
[JsonSerializable(typeof(Volume))]
[JsonSerializable(typeof(List<Volume>))]
public sealed partial class VolumeJson : JsonSerializerContext;
