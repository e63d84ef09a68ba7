using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Engine.Model;
using Berth.Images;
using Berth.Images.Archive;
using Berth.Images.Content;
using Berth.Images.Layers;
using Berth.Images.Manifests;
using Berth.Images.References;
using Berth.Images.Snapshots;
using Berth.Images.Store;
using Berth.Linux;
using ImageContainerConfig = Berth.Images.Manifests.ContainerConfig;

namespace Berth.Engine.Containers;

/// <summary>docker commit's settings.</summary>
public sealed record CommitOptions
{
    /// <summary>REPOSITORY[:TAG] for the new image; none leaves it untagged.</summary>
    public string? Reference { get; init; }
    public string Author { get; init; } = "";
    /// <summary>The commit message: the new history entry's comment.</summary>
    public string Comment { get; init; } = "";
    /// <summary>Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL).</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];
    /// <summary>Freeze a running container while its layer is read.</summary>
    public bool Pause { get; init; } = true;
}

// diff and commit: a container's own layer, as a list of changes and as a new image.
public sealed partial class ContainerEngine
{
    /// <summary>docker diff: what the container changed in its image's files.</summary>
    public List<Change> Changes(string reference)
    {
        var c = Get(reference);
        RequireOverlay("diff");
        int lower = OpenImageView(c);
        try { return LayerChanges.Compute(Path.Combine(Store.DirOf(c.Id), "diff"), lower).Changes; }
        finally { if (lower >= 0) Libc.close(lower); }
    }

    /// <summary>
    /// docker commit: the container's layer becomes a new image's top layer (gzip, from the upper
    /// directory with overlayfs' whiteouts turned into OCI ones), and the image's config is the
    /// parent's with the container's Config (after <see cref="CommitOptions.Changes"/>) and a new
    /// history entry. Stored as pulled images are: blobs, manifest, index record, snapshot.
    /// A container that changed nothing gives an image with the parent's layers and an empty-layer history entry.
    /// </summary>
    public ImageRecord Commit(string reference, CommitOptions options)
    {
        var c = Get(reference);
        RequireOverlay("commit");
        if (options.Reference is { } name && !ImageReference.TryParse(name, out _, out string error)) throw new ImageException(error);
        var parent = Images.TryGet(c.Image) ?? throw new ContainerException($"image {c.Image} of container {c.ShortId} is gone");
        var parentConfig = Images.ConfigOf(parent);
        var parentLayers = Images.ManifestOf(parent).Layers ?? [];
        if (parentLayers.Length != parentConfig.RootFs.DiffIds.Length)
            throw new ImageFormatException($"image {parent.Id}: its manifest lists {parentLayers.Length} layers, its config {parentConfig.RootFs.DiffIds.Length}");
        var config = ImageImporter.ApplyChanges(ToImageConfig(c.Config), options.Changes);

        var storage = Images.Storage;
        string layerFile = storage.Content.TempPath();
        try
        {
            var (diffId, size) = WriteLayer(c, options.Pause, layerFile);
            var layers = parentLayers.Select(l => l with { MediaType = OciMediaType(l.MediaType), Urls = null }).ToList();
            var now = DateTimeOffset.UtcNow;
            if (diffId is not null)
                layers.Add(new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = storage.Content.AddFile(layerFile, move: true).ToString(), Size = size });
            var history = new List<HistoryEntry>(parentConfig.History ?? [])
            {
                new()
                {
                    Created = now, Author = options.Author.Length > 0 ? options.Author : null,
                    CreatedBy = string.Join(' ', c.Config.Cmd ?? []),
                    Comment = options.Comment.Length > 0 ? options.Comment : null,
                    EmptyLayer = diffId is null ? true : null,
                },
            };
            var imageConfig = parentConfig with
            {
                Created = now,
                Author = options.Author.Length > 0 ? options.Author : null,
                Config = config,
                RootFs = new RootFs { DiffIds = diffId is null ? parentConfig.RootFs.DiffIds : [.. parentConfig.RootFs.DiffIds, diffId] },
                History = history.ToArray(),
                Comment = null,
                DockerVersion = null,
            };
            byte[] configBytes = JsonSerializer.SerializeToUtf8Bytes(imageConfig, ImageJsonContext.Default.ImageConfig);
            var image = ImageArchive.StoreNew(Images, configBytes, layers, options.Reference is null ? [] : [options.Reference], CancellationToken.None);
            Events.Container(c, "commit", new() { ["comment"] = options.Comment, ["imageID"] = image.Id });
            return image;
        }
        finally { File.Delete(layerFile); }
    }

    private void RequireOverlay(string what)
    {
        if (Storage.Driver == "vfs")
            throw new ContainerException($"{what} needs the overlay storage driver: with vfs a container's layer is a whole copy of its root, not its changes", 1);
    }

    /// <summary>
    /// The container's layer as a gzip blob at <paramref name="file"/>; its diff id (the digest of the
    /// tar), or null if the container changed nothing. A running container is paused meanwhile if
    /// asked; a stopped one is locked, so it cannot start and write while its layer is read.
    /// </summary>
    private (string? DiffId, long Size) WriteLayer(Container c, bool pause, string file)
    {
        bool paused = false;
        FileLock? held = null;
        try
        {
            if (IsActive(c))
            {
                if (pause && c.State.Running && !c.State.Paused)
                {
                    Pause(c.Id);
                    paused = true;
                }
            }
            else held = Store.Lock(c.Id);
            string upper = Path.Combine(Store.DirOf(c.Id), "diff");
            LayerChanges.Result changes;
            int lower = OpenImageView(c);
            try { changes = LayerChanges.Compute(upper, lower); }
            finally { if (lower >= 0) Libc.close(lower); }
            if (changes.Changes.Count == 0) return (null, 0);

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var output = File.Create(file))
            {
                using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
                using var hashing = new HashingWriter(gzip, hash);
                LayerDiffer.WriteDiff(upper, hashing, changes.Hidden, ToContainerIds(c));
            }
            return (Digest.FromHash(hash.GetHashAndReset()).ToString(), new FileInfo(file).Length);
        }
        finally
        {
            held?.Dispose();
            if (paused)
            {
                try { Unpause(c.Id); }
                catch (Exception e) when (e is ContainerException or Berth.Runtime.RuntimeException or SyscallException) { }
            }
        }
    }

    /// <summary>
    /// The image's merged root as the container sees it (idmapped with its own user namespace),
    /// read-only and detached (gone with the descriptor); -1 for an image without layers.
    /// </summary>
    private int OpenImageView(Container c)
    {
        var image = Images.TryGet(c.Image) ?? throw new ContainerException($"image {c.Image} of container {c.ShortId} is gone");
        var views = new List<int>();
        try
        {
            var lower = LayersFor(c, image, views);
            if (lower.Count == 0) return -1;
            if (views.Count == 1)
            {
                // One idmapped layer is the view itself (overlayfs wants two lower layers without an upper one).
                Libc.MountSetattrFd(views[0], Libc.MOUNT_ATTR_RDONLY, 0, "image view");
                int view = views[0];
                views.Clear();
                return view;
            }
            return OverlayMount.MountDetached(lower, null, null, readOnly: true);
        }
        finally { foreach (int view in views) Libc.close(view); }
    }

    /// <summary>The container's Config as an image config's "config".</summary>
    private static ImageContainerConfig ToImageConfig(Model.ContainerConfig config)
    {
        using var empty = JsonDocument.Parse("{}");
        Dictionary<string, JsonElement>? Keys(Dictionary<string, EmptyObject>? map) =>
            map is null ? null : map.Keys.ToDictionary(k => k, _ => empty.RootElement.Clone());
        return new ImageContainerConfig
        {
            Hostname = config.Hostname.Length > 0 ? config.Hostname : null,
            Domainname = config.Domainname.Length > 0 ? config.Domainname : null,
            User = config.User,
            ExposedPorts = Keys(config.ExposedPorts),
            Env = config.Env?.ToArray(),
            Cmd = config.Cmd?.ToArray(),
            Entrypoint = config.Entrypoint?.ToArray(),
            Volumes = Keys(config.Volumes),
            WorkingDir = config.WorkingDir,
            Labels = config.Labels is null ? null : new Dictionary<string, string>(config.Labels),
            StopSignal = string.IsNullOrEmpty(config.StopSignal) ? null : config.StopSignal,
            Healthcheck = config.Healthcheck is null ? null : JsonSerializer.SerializeToElement(config.Healthcheck, EngineJson.Default.HealthConfig),
        };
    }

    /// <summary>Docker's layer media types by their OCI names (the same bytes): the new manifest is an OCI one.</summary>
    private static string OciMediaType(string mediaType) => mediaType switch
    {
        MediaTypes.DockerLayerGzip => MediaTypes.OciLayerGzip,
        MediaTypes.DockerLayer => MediaTypes.OciLayer,
        _ => mediaType,
    };

    /// <summary>A write-through stream that hashes what passes.</summary>
    private sealed class HashingWriter(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
