using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.Pull;
using Berth.Images.References;
using Berth.Images.Store;

namespace Berth.Images.Archive;

/// <summary>One entry of a docker-archive's manifest.json.</summary>
public sealed record DockerArchiveEntry
{
    public string Config { get; init; } = "";
    public string[]? RepoTags { get; init; }
    public string[] Layers { get; init; } = [];
}

[JsonSerializable(typeof(DockerArchiveEntry[]))]
public sealed partial class ArchiveJsonContext : JsonSerializerContext;

/// <summary>
/// `save` and `load`: images in a tar, as docker-archive (manifest.json, configs and uncompressed
/// layer tars, what `docker save` writes) or oci-archive (an OCI image layout, what
/// `podman save --format oci-archive` writes). Load takes either; archives are hostile input.
/// </summary>
public static class ImageArchive
{
    private const string ContainerdNameAnnotation = "io.containerd.image.name";
    private const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public static void Save(ImageService service, IReadOnlyList<string> names, Stream output, string format)
    {
        if (format is not ("docker-archive" or "oci-archive")) throw new ImageException($"unknown archive format \"{format}\" (want docker-archive or oci-archive)");
        var storage = service.Storage;
        var picked = new List<(ImageRecord Image, List<string> Tags)>();
        foreach (string name in names)
        {
            var image = service.Get(name);
            var tags = ImageReference.TryParse(name, out var r, out _) && r.Digest is null && image.RepoTags.Contains(r.WithDefaultTag().TaggedName)
                ? [r.WithDefaultTag().TaggedName] : image.RepoTags.ToList();
            int at = picked.FindIndex(p => p.Image.Id == image.Id);
            if (at >= 0) picked[at].Tags.AddRange(tags.Where(t => !picked[at].Tags.Contains(t)));
            else picked.Add((image, tags));
        }
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var written = new HashSet<string>();
        var temps = new List<string>();
        try
        {
            if (format == "oci-archive") SaveOci(service, picked, tar, written);
            else SaveDocker(service, picked, tar, written, temps);
        }
        finally
        {
            foreach (var t in temps) File.Delete(t);
        }
    }

    private static void SaveDocker(ImageService service, List<(ImageRecord Image, List<string> Tags)> picked, TarWriter tar, HashSet<string> written, List<string> temps)
    {
        var storage = service.Storage;
        var entries = new List<DockerArchiveEntry>();
        var repositories = new JsonObject();
        foreach (var (image, tags) in picked)
        {
            var config = service.ConfigOf(image);
            var manifest = service.ManifestOf(image);
            var configDigest = Digest.Parse(image.Id);
            string configName = "blobs/sha256/" + configDigest.Hex;
            if (written.Add(configName)) AddFile(tar, configName, storage.Content.BlobPath(configDigest));
            var layerNames = new List<string>();
            var layers = manifest.Layers ?? [];
            for (int i = 0; i < layers.Length; i++)
            {
                string diffId = config.RootFs.DiffIds[i];
                string layerName = "blobs/sha256/" + Digest.Parse(diffId).Hex;
                layerNames.Add(layerName);
                if (!written.Add(layerName)) continue;
                // docker-archive layers are uncompressed tars, named by diff id.
                var blob = Digest.Parse(layers[i].Digest);
                var compression = MediaTypes.CompressionOf(layers[i].MediaType);
                if (compression == LayerCompression.None) { AddFile(tar, layerName, storage.Content.BlobPath(blob)); continue; }
                string temp = storage.Content.TempPath();
                temps.Add(temp);
                using (var source = storage.Content.OpenBlob(blob))
                using (var plain = LayerStreams.Decompress(source, compression))
                using (var file = File.Create(temp))
                    plain.CopyTo(file);
                AddFile(tar, layerName, temp);
                File.Delete(temp);
            }
            var familiarTags = tags.Select(ImageService.Familiar).ToArray();
            entries.Add(new DockerArchiveEntry { Config = configName, RepoTags = familiarTags, Layers = layerNames.ToArray() });
            foreach (var tag in familiarTags)
            {
                int colon = tag.LastIndexOf(':');
                var repo = repositories[tag[..colon]] as JsonObject ?? new JsonObject();
                repo[tag[(colon + 1)..]] = layerNames.Count > 0 ? layerNames[^1][13..] : "";
                repositories[tag[..colon]] = repo;
            }
        }
        AddBytes(tar, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(entries.ToArray(), ArchiveJsonContext.Default.DockerArchiveEntryArray));
        AddBytes(tar, "repositories", Encoding.UTF8.GetBytes(repositories.ToJsonString()));
    }

    private static void SaveOci(ImageService service, List<(ImageRecord Image, List<string> Tags)> picked, TarWriter tar, HashSet<string> written)
    {
        var storage = service.Storage;
        var index = new JsonArray();
        foreach (var (image, tags) in picked)
        {
            var manifest = service.ManifestOf(image);
            var digests = new List<string> { image.ManifestDigest, manifest.Config!.Digest };
            digests.AddRange((manifest.Layers ?? []).Select(l => l.Digest));
            foreach (var d in digests)
            {
                string name = "blobs/sha256/" + Digest.Parse(d).Hex;
                if (written.Add(name)) AddFile(tar, name, storage.Content.BlobPath(Digest.Parse(d)));
            }
            long size = storage.Content.SizeOf(Digest.Parse(image.ManifestDigest));
            foreach (var tag in tags.DefaultIfEmpty())
            {
                var descriptor = new JsonObject
                {
                    ["mediaType"] = image.ManifestMediaType,
                    ["digest"] = image.ManifestDigest,
                    ["size"] = size,
                };
                if (tag is not null)
                    descriptor["annotations"] = new JsonObject
                    {
                        [ContainerdNameAnnotation] = tag,
                        [RefNameAnnotation] = tag[(tag.LastIndexOf(':') + 1)..],
                    };
                index.Add((JsonNode)descriptor);
            }
        }
        AddBytes(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        var indexDoc = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = index };
        AddBytes(tar, "index.json", Encoding.UTF8.GetBytes(indexDoc.ToJsonString()));
    }

    private static void AddFile(TarWriter tar, string name, string path)
    {
        using var data = File.OpenRead(path);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        });
    }

    private static void AddBytes(TarWriter tar, string name, byte[] bytes)
    {
        using var data = new MemoryStream(bytes);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        });
    }

    /// <summary>Loads every image of an archive; returns docker's report lines ("Loaded image: …").</summary>
    public static List<string> Load(ImageService service, Stream input, CancellationToken ct)
    {
        var storage = service.Storage;
        string dir = Path.Combine(storage.Root, "tmp", $"load-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var files = Extract(input, dir);
            if (files.ContainsKey("manifest.json")) return LoadDocker(service, files, ct);
            if (files.ContainsKey("index.json")) return LoadOci(service, files, ct);
            throw new ImageFormatException("archive has neither manifest.json (docker-archive) nor index.json (oci-archive)");
        }
        finally { Snapshots.SnapshotStore.RemoveTree(dir); }
    }

    /// <summary>
    /// Unpacks the archive's regular files into <paramref name="dir"/> under safe names, and returns
    /// archive path → file path; symlinks (docker-archive reuses layers by symlink) map to their target's file.
    /// </summary>
    private static Dictionary<string, string> Extract(Stream input, string dir)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new List<(string Name, string Target)>();
        int n = 0;
        try
        {
            using var reader = new TarReader(input, leaveOpen: true);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                string name = Clean(entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        string path = Path.Combine(dir, (n++).ToString());
                        using (var f = File.Create(path))
                            entry.DataStream?.CopyTo(f);
                        files[name] = path;
                        break;
                    case TarEntryType.SymbolicLink:
                        string target = entry.LinkName.StartsWith('/') ? entry.LinkName : CombineRelative(name, entry.LinkName);
                        links.Add((name, Clean(target)));
                        break;
                    case TarEntryType.HardLink:
                        links.Add((name, Clean(entry.LinkName)));
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new ImageFormatException($"archive is not a valid tar: {e.Message}");
        }
        foreach (var (name, target) in links)
            if (files.TryGetValue(target, out var path)) files[name] = path;
        return files;
    }

    private static string CombineRelative(string name, string link)
    {
        int slash = name.LastIndexOf('/');
        return (slash < 0 ? "" : name[..(slash + 1)]) + link;
    }

    /// <summary>An archive path normalized; ".." that leaves the archive is an error.</summary>
    private static string Clean(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) throw new ImageFormatException($"archive entry \"{name}\" points outside the archive");
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static string Need(Dictionary<string, string> files, string name) =>
        files.TryGetValue(Clean(name), out var path) ? path : throw new ImageFormatException($"archive lacks \"{name}\"");

    private static List<string> LoadDocker(ImageService service, Dictionary<string, string> files, CancellationToken ct)
    {
        var storage = service.Storage;
        DockerArchiveEntry[] entries;
        try { entries = JsonSerializer.Deserialize(File.ReadAllBytes(files["manifest.json"]), ArchiveJsonContext.Default.DockerArchiveEntryArray) ?? []; }
        catch (JsonException e) { throw new ImageFormatException($"manifest.json of the archive is not valid: {e.Message}"); }
        var report = new List<string>();
        foreach (var entry in entries)
        {
            byte[] configBytes = File.ReadAllBytes(Need(files, entry.Config));
            var config = ManifestReader.ParseConfig(configBytes, "image config " + entry.Config);
            if (config.RootFs.DiffIds.Length != entry.Layers.Length)
                throw new ImageFormatException($"image config {entry.Config} lists {config.RootFs.DiffIds.Length} layers, manifest.json {entry.Layers.Length}");
            var layers = new List<Descriptor>();
            foreach (var layerName in entry.Layers)
            {
                string path = Need(files, layerName);
                var digest = storage.Content.AddFile(path, move: false);
                layers.Add(new Descriptor
                {
                    MediaType = Sniff(path) switch
                    {
                        LayerCompression.Gzip => MediaTypes.OciLayerGzip,
                        LayerCompression.Zstd => MediaTypes.OciLayerZstd,
                        _ => MediaTypes.OciLayer,
                    },
                    Digest = digest.ToString(),
                    Size = new FileInfo(path).Length,
                });
            }
            var image = StoreNew(service, configBytes, layers, entry.RepoTags ?? [], ct);
            if (entry.RepoTags is { Length: > 0 } tags) report.AddRange(tags.Select(t => "Loaded image: " + t));
            else report.Add("Loaded image ID: " + image.Id);
        }
        return report;
    }

    /// <summary>Stores a config and layers already in the content store as a new OCI image, names it, unpacks it.</summary>
    public static ImageRecord StoreNew(ImageService service, byte[] configBytes, List<Descriptor> layers, IReadOnlyList<string> names, CancellationToken ct)
    {
        var storage = service.Storage;
        var configDigest = storage.Content.WriteBlob(configBytes);
        var manifest = new Manifest
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = layers.ToArray(),
        };
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Default.Manifest);
        var manifestDigest = storage.Content.WriteBlob(manifestBytes);
        var references = names.Select(n => ImageReference.TryParse(n, out var r, out var error) ? r.WithDefaultTag() : throw new ImageException(error)).ToList();
        var puller = new ImagePuller(storage, null);
        var config = ManifestReader.ParseConfig(configBytes, "image config");
        var platform = new Platform { Os = string.IsNullOrEmpty(config.Os) ? "linux" : config.Os, Architecture = config.Architecture, Variant = config.Variant };
        var result = puller.StoreFromContentAsync(references.FirstOrDefault(), manifestDigest, MediaTypes.OciManifest, platform, ct).GetAwaiter().GetResult();
        foreach (var r in references.Skip(1)) service.Tag(result.Image.Id, r.ToString());
        return service.Get(result.Image.Id);
    }

    private static List<string> LoadOci(ImageService service, Dictionary<string, string> files, CancellationToken ct)
    {
        var storage = service.Storage;
        // Every blob goes into the content store by the digest of its bytes; a misnamed one is refused.
        foreach (var (name, path) in files)
        {
            if (!name.StartsWith("blobs/sha256/", StringComparison.Ordinal)) continue;
            var digest = storage.Content.AddFile(path, move: false);
            if (digest.Hex != name[13..]) throw new ImageFormatException($"archive blob {name} has digest {digest}");
        }
        var index = ManifestReader.Parse(File.ReadAllBytes(files["index.json"]), "index.json of the archive");
        var report = new List<string>();
        var puller = new ImagePuller(storage, null);
        foreach (var d in index.Manifests ?? [])
        {
            string? name = d.Annotations?.GetValueOrDefault(ContainerdNameAnnotation);
            if (name is null && d.Annotations?.GetValueOrDefault(RefNameAnnotation) is { } refName && refName.Contains('/')) name = refName;
            ImageReference? reference = name is not null && ImageReference.TryParse(name, out var r, out _) ? r.WithDefaultTag() : null;
            var result = puller.StoreFromContentAsync(reference, Digest.Parse(d.Digest), d.MediaType, null, ct).GetAwaiter().GetResult();
            report.Add(reference is not null ? "Loaded image: " + ImageService.Familiar(reference.ToString()) : "Loaded image ID: " + result.Image.Id);
        }
        return report;
    }

    /// <summary>The compression of a layer file, from its magic bytes; bzip2 and xz, which layers may not use, are refused.</summary>
    public static LayerCompression Sniff(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return LayerCompression.Gzip;
        if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) return LayerCompression.Zstd;
        if (n >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') throw new ImageFormatException("bzip2-compressed input is not supported (use gzip, zstd or a plain tar)");
        if (n >= 4 && head[0] == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X') throw new ImageFormatException("xz-compressed input is not supported (use gzip, zstd or a plain tar)");
        return LayerCompression.None;
    }
}
