using System.Text.Json.Serialization;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StateOutput))]
[JsonSerializable(typeof(List<StateOutput>), TypeInfoPropertyName = "ListStateOutput")]
[JsonSerializable(typeof(List<int>), TypeInfoPropertyName = "ListInt")]
[JsonSerializable(typeof(string))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
