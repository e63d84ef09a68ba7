using System.Text.Json.Serialization;

namespace Berth.Images.Store;

/// <summary>
/// One stored image, docker-style: its id is its config's digest; the manifest (and the index it
/// was chosen from) are kept in the content store, the layers as snapshots named by chain id.
/// A record exists only once all of that is stored.
/// </summary>
public sealed record ImageRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("manifest")] public required string ManifestDigest { get; init; }
    [JsonPropertyName("manifestMediaType")] public required string ManifestMediaType { get; init; }
    /// <summary>The index or manifest list the manifest was selected from, if any.</summary>
    [JsonPropertyName("index")] public string? IndexDigest { get; init; }
    [JsonPropertyName("repoTags")] public string[] RepoTags { get; init; } = [];
    [JsonPropertyName("repoDigests")] public string[] RepoDigests { get; init; } = [];
    /// <summary>Chain ids of the layers, bottom first.</summary>
    [JsonPropertyName("chain")] public string[] Chain { get; init; } = [];
    /// <summary>Unpacked size of all layers, in bytes.</summary>
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("lastTagTime")] public DateTimeOffset? LastTagTime { get; init; }
    [JsonPropertyName("pulledAt")] public DateTimeOffset PulledAt { get; init; }
}

public sealed record ImageList
{
    [JsonPropertyName("images")] public List<ImageRecord> Images { get; init; } = [];
}

public sealed record SnapshotInfo
{
    [JsonPropertyName("diffId")] public required string DiffId { get; init; }
    [JsonPropertyName("parent")] public string? Parent { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("created")] public DateTimeOffset Created { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageList))]
[JsonSerializable(typeof(SnapshotInfo))]
public sealed partial class StoreJsonContext : JsonSerializerContext;
