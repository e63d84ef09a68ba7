using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Engine.Model;

/// <summary>Source-generated JSON (no reflection under NativeAOT) for the engine's stored and shown documents.</summary>
[JsonSourceGenerationOptions(WriteIndented = false, Converters = [typeof(Rfc3339Converter)])]
[JsonSerializable(typeof(Container))]
[JsonSerializable(typeof(List<Container>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class EngineJson : JsonSerializerContext;

/// <summary>Times as docker writes them: RFC 3339 in UTC with nanosecond digits, zero as "0001-01-01T00:00:00Z".</summary>
public sealed class Rfc3339Converter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string s = reader.GetString() ?? "";
        return DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    public static string Format(DateTime value)
    {
        if (value == default) return "0001-01-01T00:00:00Z";
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        // .NET keeps 100 ns ticks: seven digits, padded to docker's nine.
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";
    }
}

/// <summary>
/// Saving containers on the start path: serialization-only source generation writes straight to a
/// Utf8JsonWriter without building the serializer's metadata first (~4 ms per process in NativeAOT).
/// Times are written in .NET's ISO 8601 form, which <see cref="Rfc3339Converter"/> reads back.
/// </summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(Container))]
public sealed partial class EngineWriteJson : JsonSerializerContext;

/// <summary>
/// A serializer context that a long-lived process can let go of. The static Default contexts keep
/// the metadata they build (tens of kB per document type) for the life of the process; the monitor
/// lives as long as its container, so it reads and writes through an instance of its own and drops
/// it once the start is over. Everyone else shares the static one.
/// </summary>
public sealed class DroppableJsonContext<T>(T shared, Func<JsonSerializerOptions, T> create) where T : JsonSerializerContext
{
    private T? _own;

    public bool Private { get; set; }

    public T Context => !Private ? shared : _own ??= create(new JsonSerializerOptions(shared.Options));

    public void Drop() => _own = null;
}
