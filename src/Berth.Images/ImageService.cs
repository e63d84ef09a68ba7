using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.References;
using Berth.Images.Snapshots;
using Berth.Images.Store;
using Berth.Linux;

namespace Berth.Images;

/// <summary>A user-facing failure of an image operation: one line, no stack.</summary>
public sealed class ImageException(string message) : Exception(message);

/// <summary>
/// The image operations behind the commands (and, later, the API): finding, tagging, removing,
/// mounting, garbage collection, disk usage. Pull, push and archives have their own classes.
/// </summary>
public sealed class ImageService(ImageStorage storage)
{
    public ImageStorage Storage => storage;

    public ImageRecord Get(string nameOrId)
    {
        ImageRecord? image;
        try { image = ImageIndex.Find(storage.Index.Load(), nameOrId); }
        catch (InvalidOperationException e) { throw new ImageException(e.Message); }
        return image ?? throw new ImageException($"No such image: {NormalizedName(nameOrId)}");
    }

    public ImageRecord? TryGet(string nameOrId)
    {
        try { return ImageIndex.Find(storage.Index.Load(), nameOrId); }
        catch (InvalidOperationException) { return null; }
    }

    public IReadOnlyList<ImageRecord> List() => storage.Index.Load().Images;

    public ImageConfig ConfigOf(ImageRecord image) =>
        ManifestReader.ParseConfig(storage.Content.ReadBlob(Digest.Parse(image.Id), ManifestReader.MaxConfigBytes), $"config of {image.Id}");

    public Manifest ManifestOf(ImageRecord image) =>
        ManifestReader.Parse(storage.Content.ReadBlob(Digest.Parse(image.ManifestDigest), ManifestReader.MaxManifestBytes), $"manifest of {image.Id}");

    /// <summary>docker tag SOURCE TARGET.</summary>
    public void Tag(string source, string target)
    {
        var image = Get(source);
        if (!ImageReference.TryParse(target, out var reference, out string error)) throw new ImageException(error);
        if (reference.Digest is not null) throw new ImageException($"refusing to create a tag with a digest reference: {target}");
        storage.Index.Update(list =>
        {
            if (!list.Images.Any(i => i.Id == image.Id)) throw new ImageException($"No such image: {source}");
            ImageIndex.SetTag(list, image, reference.WithDefaultTag().TaggedName, DateTimeOffset.UtcNow);
            return 0;
        });
    }

    /// <summary>
    /// docker rmi: a name removes that tag, and the image with its last tag; an id removes the
    /// image, which needs force if several repositories name it. An image in use needs force.
    /// Returns docker's report lines ("Untagged: …", "Deleted: …").
    /// </summary>
    public List<string> Remove(string nameOrId, bool force)
    {
        var report = new List<string>();
        var target = Get(nameOrId);
        // Named by one of its tags: that tag goes (and the image with its last one); else by id or digest.
        string? namedTag = ImageReference.TryParse(nameOrId, out var reference, out _) && reference.Digest is null
            && target.RepoTags.Contains(reference.WithDefaultTag().TaggedName) ? reference.WithDefaultTag().TaggedName : null;
        var holders = storage.Holds.HoldersOf(target.Id).ToList();
        var removed = storage.Index.Update(list =>
        {
            int at = list.Images.FindIndex(i => i.Id == target.Id);
            if (at < 0) throw new ImageException($"No such image: {nameOrId}");
            var image = list.Images[at];
            if (namedTag is { } untag)
            {
                if (image.RepoTags.Length > 1 || (holders.Count > 0 && !force))
                {
                    if (image.RepoTags.Length == 1 && holders.Count > 0)
                        throw new ImageException($"conflict: unable to remove repository reference \"{nameOrId}\" (must force) - image {Digest.Parse(image.Id).Short} is in use by {holders[0]}");
                    list.Images[at] = image with { RepoTags = image.RepoTags.Where(t => t != untag).ToArray() };
                    report.Add("Untagged: " + Familiar(untag));
                    return null;
                }
            }
            else if (!force)
            {
                if (holders.Count > 0)
                    throw new ImageException($"conflict: unable to delete {Digest.Parse(image.Id).Short} (must be forced) - image is in use by {holders[0]}");
                if (image.RepoTags.Select(t => t[..t.LastIndexOf(':')]).Distinct().Count() > 1)
                    throw new ImageException($"conflict: unable to delete {Digest.Parse(image.Id).Short} (must be forced) - image is referenced in multiple repositories");
            }
            foreach (var tag in image.RepoTags) report.Add("Untagged: " + Familiar(tag));
            foreach (var digest in image.RepoDigests) report.Add("Untagged: " + Familiar(digest));
            list.Images.RemoveAt(at);
            report.Add("Deleted: " + image.Id);
            return image;
        });
        if (removed is not null)
        {
            foreach (var holder in holders) ReleaseMount(holder);
            foreach (var chain in CollectGarbage().Snapshots) report.Add("Deleted: " + chain);
        }
        return report;
    }

    public sealed record PruneResult(List<string> Report, long Reclaimed);

    /// <summary>docker image prune: dangling (untagged) images, or with all every image no one uses; then unreferenced content.</summary>
    public PruneResult Prune(bool all)
    {
        var report = new List<string>();
        var held = storage.Holds.All().Select(h => h.ImageId).ToHashSet();
        storage.Index.Update(list =>
        {
            foreach (var image in list.Images.ToList())
            {
                if (held.Contains(image.Id)) continue;
                if (!all && image.RepoTags.Length > 0) continue;
                foreach (var tag in image.RepoTags) report.Add("untagged: " + Familiar(tag));
                foreach (var digest in image.RepoDigests) report.Add("untagged: " + Familiar(digest));
                report.Add("deleted: " + image.Id);
                list.Images.Remove(image);
            }
            return 0;
        });
        var gc = CollectGarbage();
        foreach (var chain in gc.Snapshots) report.Add("deleted: " + chain);
        return new PruneResult(report, gc.Bytes);
    }

    public sealed record GcResult(List<string> Snapshots, List<string> Blobs, long Bytes);

    /// <summary>
    /// Removes every blob and snapshot no image (held or not) refers to, and partial downloads no
    /// one is writing. Runs under the index lock, so no pull records an image meanwhile; a pull
    /// still unpacking holds its layers' locks, and its snapshots appear only after this returns.
    /// </summary>
    public GcResult CollectGarbage()
    {
        var snapshots = new List<string>();
        var blobs = new List<string>();
        long bytes = 0;
        using var exclusive = storage.LockForCollection();
        storage.Index.Update(list =>
        {
            var keepSnapshots = new HashSet<string>(list.Images.SelectMany(i => i.Chain));
            var keepBlobs = new HashSet<string>();
            foreach (var image in list.Images)
            {
                keepBlobs.Add(image.Id);
                keepBlobs.Add(image.ManifestDigest);
                if (image.IndexDigest is not null) keepBlobs.Add(image.IndexDigest);
                try
                {
                    foreach (var layer in ManifestOf(image).Layers ?? []) keepBlobs.Add(layer.Digest);
                }
                catch (Exception e) when (e is IOException or ImageFormatException) { }
            }
            foreach (var chain in storage.Snapshots.List())
            {
                if (keepSnapshots.Contains(chain)) continue;
                using var held = storage.Snapshots.Lock(chain);
                bytes += storage.Snapshots.Info(chain)?.Size ?? 0;
                storage.Snapshots.Remove(chain);
                snapshots.Add(chain);
            }
            foreach (var (digest, size) in storage.Content.List().ToList())
            {
                if (keepBlobs.Contains(digest.ToString())) continue;
                storage.Content.Delete(digest);
                blobs.Add(digest.ToString());
                bytes += size;
            }
            bytes += storage.Content.RemoveAbandonedPartials();
            return 0;
        });
        return new GcResult(snapshots, blobs, bytes);
    }

    /// <summary>The lower directories of an image's root filesystem, top layer first.</summary>
    public List<string> LowerDirs(ImageRecord image) =>
        image.Chain.Reverse().Select(storage.Snapshots.FsPath).ToList();

    private string MountDir(ImageRecord image) => Path.Combine(storage.RunRoot, "image-mounts", Digest.Parse(image.Id).Hex);
    private static string MountHolder(string imageId) => "mount-" + Digest.Parse(imageId).Hex;

    /// <summary>podman image mount: the image's merged root, read-only, at a path under the run root.</summary>
    public string Mount(string nameOrId)
    {
        var image = Get(nameOrId);
        string dir = MountDir(image);
        string merged = Path.Combine(dir, "merged");
        if (storage.Holds.ImageOf(MountHolder(image.Id)) is not null && Libc.IsMountPoint(merged)) return merged;
        if (image.Chain.Length == 0) throw new ImageException($"image {Digest.Parse(image.Id).Short} has no layers to mount");
        Directory.CreateDirectory(merged);
        storage.Holds.Add(MountHolder(image.Id), image.Id);
        try
        {
            if (storage.Driver == "vfs")
            {
                CopyMerge.Merge(image.Chain.Select(storage.Snapshots.FsPath).ToList(), merged);
                Libc.Mount(merged, merged, null, Libc.MS_BIND, null);
                Libc.Mount(null, merged, null, Libc.MS_BIND | Libc.MS_REMOUNT | Libc.MS_RDONLY, null);
            }
            else OverlayMount.Mount(LowerDirs(image), null, null, merged);
        }
        catch
        {
            storage.Holds.Remove(MountHolder(image.Id));
            SnapshotStore.RemoveTree(dir);
            throw;
        }
        return merged;
    }

    public void Unmount(string nameOrId)
    {
        var image = Get(nameOrId);
        if (storage.Holds.ImageOf(MountHolder(image.Id)) is null) throw new ImageException($"image {nameOrId} is not mounted");
        ReleaseMount(MountHolder(image.Id));
    }

    private void ReleaseMount(string holder)
    {
        if (!holder.StartsWith("mount-", StringComparison.Ordinal)) return;
        string dir = Path.Combine(storage.RunRoot, "image-mounts", holder[6..]);
        string merged = Path.Combine(dir, "merged");
        if (Libc.IsMountPoint(merged)) OverlayMount.Unmount(merged);
        SnapshotStore.RemoveTree(dir);
        storage.Holds.Remove(holder);
    }

    public sealed record DiskUsage(int Images, int Active, long ImagesSize, long Reclaimable, long Blobs, long BlobBytes, long Partial);

    public DiskUsage Usage()
    {
        var images = List();
        var held = storage.Holds.All().Select(h => h.ImageId).ToHashSet();
        var sizes = storage.Snapshots.List().ToDictionary(c => c, c => storage.Snapshots.Info(c)?.Size ?? 0);
        long total = sizes.Values.Sum();
        var usedChains = images.Where(i => held.Contains(i.Id)).SelectMany(i => i.Chain).ToHashSet();
        long reclaimable = sizes.Where(kv => !usedChains.Contains(kv.Key)).Sum(kv => kv.Value);
        var blobs = storage.Content.List().ToList();
        return new DiskUsage(images.Count, images.Count(i => held.Contains(i.Id)), total, reclaimable,
            blobs.Count, blobs.Sum(b => b.Size), storage.Content.PartialBytes());
    }

    /// <summary>A name as docker shows it: busybox:latest for docker.io/library/busybox:latest.</summary>
    public static string Familiar(string name)
    {
        int sep = name.IndexOf('@') is >= 0 and var at ? at : name.LastIndexOf(':');
        if (sep < 0 || !ImageReference.TryParse(name[..sep], out var r, out _)) return name;
        return r.FamiliarRepository + name[sep..];
    }

    private static string NormalizedName(string nameOrId) =>
        ImageReference.TryParse(nameOrId, out var r, out _) && !ImageReference.LooksLikeId(nameOrId)
            ? Familiar(r.WithDefaultTag().ToString()) : nameOrId;
}
