using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Oci;

// Source-generated serialization: NativeAOT has no reflection-based System.Text.Json.
[JsonSourceGenerationOptions(
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(Spec))]
[JsonSerializable(typeof(Process))]
[JsonSerializable(typeof(State))]
[JsonSerializable(typeof(LinuxResources))]
[JsonSerializable(typeof(Features))]
public sealed partial class OciJsonContext : JsonSerializerContext;

/// <summary>Reads and writes the OCI documents with errors that name what was wrong.</summary>
public static class OciJson
{
    // The documents on the container start path go through SpecReader: same result and errors as
    // Parse with the context, without the serializer's ~5 ms cold start in NativeAOT.
    public static Spec ParseSpec(ReadOnlySpan<byte> json) => SpecReader.ReadSpec(json);
    public static Process ParseProcess(ReadOnlySpan<byte> json) => SpecReader.ReadProcess(json);
    public static LinuxResources ParseResources(ReadOnlySpan<byte> json) => SpecReader.ReadResources(json);

    public static T Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new SpecException($"{what}: document is null");
        }
        catch (JsonException e)
        {
            string where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            throw new SpecException($"{what}: invalid JSON{where}: {FirstSentence(e.Message)}");
        }
    }

    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>A config that is malformed or asks for something the runtime cannot do.</summary>
public sealed class SpecException(string message) : Exception(message);

/// <summary>
/// Writing config.json on the engine's start path: serialization-only source generation writes
/// straight to a Utf8JsonWriter, without building the serializer's metadata at first use.
/// </summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Serialization,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Spec))]
public sealed partial class OciWriteJsonContext : JsonSerializerContext;
