using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.References;
using Berth.Images.Registry;
using Berth.Images.Snapshots;
using Berth.Images.Store;

namespace Berth.Images.Pull;

/// <summary>
/// Pulls an image: resolves the reference to a manifest (choosing from an index by platform),
/// fetches the config, then every missing layer at once, each streamed from the registry through
/// the content store and the decompressor into the unpacker in a single pass, with the blob digest
/// and the diff id checked on the way. The image is recorded only once all of it is stored; a pull
/// that is killed leaves partial blobs that the next pull resumes, and no image.
/// </summary>
public sealed class ImagePuller(ImageStorage storage, RegistryClient? registry)
{
    /// <summary>Layers fetched at once, as docker does by default.</summary>
    public int MaxConcurrentDownloads { get; init; } = 3;

    public sealed record Result(ImageRecord Image, string Digest, bool Downloaded);

    public async Task<Result> PullAsync(ImageReference reference, Platform? platform, Action<PullProgress>? progress, CancellationToken ct)
    {
        if (registry is null) throw new InvalidOperationException("pulling needs a registry client");
        reference = reference.WithDefaultTag();
        storage.Snapshots.SpreadSnapshots();   // stores made before the hint existed get it here
        var top = await registry.GetManifestAsync(reference, reference.ManifestReference, ct).ConfigureAwait(false);
        progress?.Invoke(new PullProgress(null, PullStatus.Resolved, Detail: $"{reference.Tag ?? reference.Digest}: Pulling from {reference.Path}"));
        return await StoreAsync(reference, top, platform, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records an image whose manifests and blobs are already in the content store (an OCI archive
    /// being loaded): unpacks its layers and names it <paramref name="name"/> if given.
    /// </summary>
    public Task<Result> StoreFromContentAsync(ImageReference? name, Digest topDigest, string? mediaType, Platform? platform, CancellationToken ct)
    {
        byte[] bytes = storage.Content.ReadBlob(topDigest, ManifestReader.MaxManifestBytes);
        return StoreAsync(name, new FetchedManifest(bytes, mediaType ?? "", topDigest), platform, null, ct);
    }

    private async Task<Result> StoreAsync(ImageReference? reference, FetchedManifest top, Platform? platform, Action<PullProgress>? progress, CancellationToken ct)
    {
        platform ??= PlatformMatcher.Host;
        using var againstGc = storage.LockAgainstCollection();
        storage.Snapshots.CleanStale();
        string what = reference?.ToString() ?? top.Digest.ToString();

        // 1. The manifest the reference names, through an index if it is one.
        var topDoc = ManifestReader.Parse(top.Bytes, $"manifest of {what}");
        string topType = ManifestReader.MediaTypeOf(topDoc, top.MediaType);

        FetchedManifest chosen = top;
        Manifest manifest = topDoc;
        string manifestType = topType;
        string? indexDigest = null;
        if (MediaTypes.IsIndex(topType))
        {
            ManifestReader.ValidateIndex(topDoc, $"index of {what}");
            var entry = PlatformMatcher.Select(topDoc, platform);
            var entryDigest = Digest.Parse(entry.Digest);
            chosen = storage.Content.Has(entryDigest) || registry is null || reference is null
                ? new FetchedManifest(ReadStored(entryDigest, ManifestReader.MaxManifestBytes), entry.MediaType, entryDigest)
                : await registry.GetManifestAsync(reference, entry.Digest, ct).ConfigureAwait(false);
            manifest = ManifestReader.Parse(chosen.Bytes, $"manifest {entry.Digest}");
            manifestType = ManifestReader.MediaTypeOf(manifest, chosen.MediaType);
            indexDigest = top.Digest.ToString();
        }
        ManifestReader.ValidateImageManifest(manifest, manifestType, $"manifest of {what}");

        // 2. The config: small, fetched whole and checked before anything else is.
        var configDigest = Digest.Parse(manifest.Config!.Digest);
        byte[] configBytes = await FetchSmallBlobAsync(reference, configDigest, manifest.Config.Size, ct).ConfigureAwait(false);
        var config = ManifestReader.ParseConfig(configBytes, $"image config {configDigest.Short}");
        var layers = manifest.Layers ?? [];
        if (config.RootFs.DiffIds.Length != layers.Length)
            throw new ImageFormatException($"image config lists {config.RootFs.DiffIds.Length} layers, the manifest {layers.Length}");
        if (!string.IsNullOrEmpty(config.Os) && !PlatformMatcher.Matches(platform with { Variant = null }, new Platform { Os = config.Os, Architecture = config.Architecture }))
            throw new ImageFormatException($"image {what} is for {config.Os}/{config.Architecture}, not {platform}");

        // 3. Layers, all at once; each snapshot is named by its chain id.
        string[] chain = SnapshotStore.ChainIds(config.RootFs.DiffIds);
        var done = new TaskCompletionSource[layers.Length];
        for (int i = 0; i < layers.Length; i++) done[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var slots = new SemaphoreSlim(MaxConcurrentDownloads);
        bool downloaded = false;
        var tasks = new Task<long>[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            int index = i;
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    var (size, fetched) = await PullLayerAsync(reference, layers[index], config.RootFs.DiffIds[index], chain, index, done, slots, progress, ct).ConfigureAwait(false);
                    if (fetched) downloaded = true;
                    done[index].TrySetResult();
                    return size;
                }
                catch (Exception e) { done[index].TrySetException(e); throw; }
            }, ct);
        }
        long[] sizes;
        try { sizes = await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch
        {
            // Report the first real failure, not a cancellation it caused.
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
            if (first is not null) throw first;
            throw;
        }

        // 4. Manifests and config into the content store, then the record: from here the image exists.
        storage.Content.WriteBlob(configBytes, configDigest);
        storage.Content.WriteBlob(chosen.Bytes, chosen.Digest);
        if (indexDigest is not null) storage.Content.WriteBlob(top.Bytes, top.Digest);
        string? repoDigest = reference is null || registry is null ? null : reference.Repository + "@" + top.Digest;
        var now = DateTimeOffset.UtcNow;
        var image = storage.Index.Update(list =>
        {
            int at = list.Images.FindIndex(i => i.Id == configDigest.ToString());
            var record = at >= 0 ? list.Images[at] : new ImageRecord
            {
                Id = configDigest.ToString(),
                ManifestDigest = chosen.Digest.ToString(),
                ManifestMediaType = manifestType,
                IndexDigest = indexDigest,
                Chain = chain,
                Size = sizes.Sum(),
                PulledAt = now,
            };
            if (repoDigest is not null && !record.RepoDigests.Contains(repoDigest))
                record = record with
                {
                    RepoDigests = [.. record.RepoDigests.Where(d => !d.StartsWith(reference!.Repository + "@", StringComparison.Ordinal)), repoDigest],
                };
            if (at >= 0) list.Images[at] = record; else list.Images.Add(record);
            if (reference?.Tag is not null) ImageIndex.SetTag(list, record, reference.TaggedName, now);
            return list.Images.First(i => i.Id == record.Id);
        });
        progress?.Invoke(new PullProgress(null, PullStatus.Done, Detail: top.Digest.ToString()));
        return new Result(image, top.Digest.ToString(), downloaded);
    }

    private byte[] ReadStored(Digest digest, long max)
    {
        if (!storage.Content.Has(digest)) throw new ImageFormatException($"blob {digest} is missing");
        return storage.Content.ReadBlob(digest, max);
    }

    private async Task<(long Size, bool Fetched)> PullLayerAsync(ImageReference? reference, Descriptor layer, string diffId,
        string[] chain, int index, TaskCompletionSource[] done, SemaphoreSlim slots, Action<PullProgress>? progress, CancellationToken ct)
    {
        var digest = Digest.Parse(layer.Digest);
        string id = digest.Short;
        string chainId = chain[index];
        if (storage.Snapshots.Has(chainId))
        {
            progress?.Invoke(new PullProgress(id, PullStatus.AlreadyExists));
            return (storage.Snapshots.Info(chainId)?.Size ?? 0, false);
        }
        progress?.Invoke(new PullProgress(id, PullStatus.Waiting));
        await slots.WaitAsync(ct).ConfigureAwait(false);
        bool holding = true;
        try
        {
            using var snapshotLock = storage.Snapshots.Lock(chainId);
            if (storage.Snapshots.Has(chainId))
            {
                progress?.Invoke(new PullProgress(id, PullStatus.AlreadyExists));
                return (storage.Snapshots.Info(chainId)?.Size ?? 0, false);
            }
            var compression = MediaTypes.CompressionOf(layer.MediaType);
            // Cross-layer hardlinks need the layers below finished: give the slot up while waiting for them.
            void WaitForLower()
            {
                if (index == 0 || done.Take(index).All(t => t.Task.IsCompleted)) return;
                if (holding) { slots.Release(); holding = false; }
                Task.WaitAll(done.Take(index).Select(t => t.Task).ToArray(), ct);
            }
            var lowerChain = chain[..index];

            using var ingestion = storage.Content.BeginIngest(digest, layer.Size);
            if (ingestion is null)
            {
                // The blob is stored (an earlier pull, or another one just now): unpack from it.
                progress?.Invoke(new PullProgress(id, PullStatus.Extracting, layer.Size, layer.Size));
                using var stored = storage.Content.OpenBlob(digest);
                long size = LayerImporter.Import(storage.Snapshots, stored, compression, diffId, chainId, lowerChain, WaitForLower);
                progress?.Invoke(new PullProgress(id, PullStatus.Complete));
                return (size, false);
            }
            if (registry is null || reference is null) throw new ImageFormatException($"layer {digest} is missing");
            var rest = await registry.OpenBlobAsync(reference, digest, layer.Size, ingestion.Offset, ct).ConfigureAwait(false);
            long lastReport = 0;
            // The ingestion hashes the blob; this reader only counts, for the progress bar.
            using var reader = new CountingReader(ingestion.Reader(rest), n =>
            {
                if (n - lastReport >= 512 * 1024 || n == layer.Size)
                {
                    lastReport = n;
                    progress?.Invoke(new PullProgress(id, PullStatus.Downloading, n, layer.Size));
                }
            });
            long unpacked = await Task.Run(() =>
                LayerImporter.Import(storage.Snapshots, reader, compression, diffId, chainId, lowerChain, WaitForLower), ct).ConfigureAwait(false);
            // The snapshot is published once its diff id matched; the blob must match its digest too,
            // else the snapshot goes again: the registry served something other than it promised.
            LayerStreams.Drain(reader);
            progress?.Invoke(new PullProgress(id, PullStatus.Verifying));
            try { ingestion.Commit(); }
            catch (InvalidDataException e)
            {
                storage.Snapshots.Remove(chainId);
                throw new ImageFormatException($"layer {id}: {e.Message}");
            }
            progress?.Invoke(new PullProgress(id, PullStatus.Complete));
            return (unpacked, true);
        }
        finally
        {
            if (holding) slots.Release();
        }
    }

    private async Task<byte[]> FetchSmallBlobAsync(ImageReference? reference, Digest digest, long size, CancellationToken ct)
    {
        if (storage.Content.Has(digest) || registry is null || reference is null) return ReadStored(digest, ManifestReader.MaxConfigBytes);
        await using var stream = await registry.OpenBlobAsync(reference, digest, size, 0, ct).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > size) throw new ImageFormatException($"blob {digest} is longer than its declared size {size}");
            buffer.Write(chunk, 0, n);
        }
        byte[] bytes = buffer.ToArray();
        if (bytes.Length != size) throw new ImageFormatException($"blob {digest} is {bytes.Length} bytes, the manifest says {size}");
        if (Digest.Of(bytes) != digest) throw new ImageFormatException($"blob digest mismatch: expected {digest}, got {Digest.Of(bytes)}");
        return bytes;
    }
}
