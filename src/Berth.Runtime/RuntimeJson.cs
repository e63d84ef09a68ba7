using System.Text.Json.Serialization;

namespace Berth.Runtime;

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StateOutput))]
[JsonSerializable(typeof(List<StateOutput>))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
