using System.Text.Json;

namespace Berth.Images.Manifests;

/// <summary>Reads manifests, indexes and configs from untrusted bytes, with one-line errors.</summary>
public static class ManifestReader
{
    public const long MaxManifestBytes = 4 << 20;
    public const long MaxConfigBytes = 8 << 20;
    // More than any real image has (docker's limit is 127 layers), small enough to refuse absurd manifests.
    public const int MaxLayers = 1000;
    public const long MaxLayerBytes = 1L << 40;

    /// <summary>The media type of a manifest document: the HTTP content type if specific, else the document's own field, else its shape.</summary>
    public static string MediaTypeOf(Manifest doc, string? contentType)
    {
        if (MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType)) return contentType!;
        if (contentType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed) return contentType;
        if (!string.IsNullOrEmpty(doc.MediaType)) return doc.MediaType;
        if (doc.Manifests is not null) return MediaTypes.OciIndex;
        if (doc.Config is not null) return MediaTypes.OciManifest;
        return contentType ?? "";
    }

    public static Manifest Parse(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length > MaxManifestBytes) throw new ImageFormatException($"{what} is {bytes.Length} bytes: more than the {MaxManifestBytes >> 20} MiB a manifest may have");
        Manifest? doc;
        try { doc = JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.Manifest); }
        catch (JsonException e) { throw new ImageFormatException($"{what} is not valid JSON: {OneLine(e.Message)}"); }
        return doc ?? throw new ImageFormatException($"{what} is empty (null)");
    }

    /// <summary>Checks an image manifest: schema 2, a config, layers with sane digests and sizes.</summary>
    public static void ValidateImageManifest(Manifest m, string mediaType, string what)
    {
        if (mediaType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed || m.SchemaVersion == 1)
            throw new ImageFormatException($"{what} is a Docker schema 1 manifest: that format is deprecated and not supported");
        if (m.SchemaVersion != 2) throw new ImageFormatException($"{what} has schemaVersion {m.SchemaVersion}, want 2");
        if (!MediaTypes.IsManifest(mediaType)) throw new ImageFormatException($"{what} has unsupported media type \"{mediaType}\"");
        if (m.Config is null) throw new ImageFormatException($"{what} has no config");
        CheckDescriptor(m.Config, what + " config", MaxConfigBytes);
        var layers = m.Layers ?? [];
        if (layers.Length > MaxLayers) throw new ImageFormatException($"{what} has {layers.Length} layers, more than {MaxLayers}");
        foreach (var layer in layers)
        {
            CheckDescriptor(layer, what + " layer", MaxLayerBytes);
            MediaTypes.CompressionOf(layer.MediaType);   // throws for foreign and unknown layer types
        }
    }

    public static void ValidateIndex(Manifest m, string what)
    {
        if (m.SchemaVersion != 2) throw new ImageFormatException($"{what} has schemaVersion {m.SchemaVersion}, want 2");
        if (m.Manifests is null || m.Manifests.Length == 0) throw new ImageFormatException($"{what} lists no manifests");
        foreach (var d in m.Manifests) CheckDescriptor(d, what + " entry", MaxManifestBytes);
    }

    private static void CheckDescriptor(Descriptor d, string what, long maxSize)
    {
        if (!Content.Digest.TryParse(d.Digest, out var digest) || digest.Algorithm != "sha256")
            throw new ImageFormatException($"{what} has an invalid digest \"{Clip(d.Digest)}\"");
        if (d.Size < 0 || d.Size > maxSize)
            throw new ImageFormatException($"{what} {d.Digest} declares an absurd size {d.Size}");
    }

    public static ImageConfig ParseConfig(ReadOnlySpan<byte> bytes, string what)
    {
        ImageConfig? config;
        try { config = JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.ImageConfig); }
        catch (JsonException e) { throw new ImageFormatException($"{what} is not valid JSON: {OneLine(e.Message)}"); }
        if (config is null) throw new ImageFormatException($"{what} is empty (null)");
        foreach (var id in config.RootFs.DiffIds)
            if (!Content.Digest.TryParse(id, out _)) throw new ImageFormatException($"{what} has an invalid diff id \"{Clip(id)}\"");
        return config;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
    private static string Clip(string? s) => s is null ? "" : s.Length > 80 ? s[..80] + "…" : s;
}
