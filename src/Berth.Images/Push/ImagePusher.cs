using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.References;
using Berth.Images.Registry;
using Berth.Images.Store;

namespace Berth.Images.Push;

public sealed record PushProgress(string Id, string Status);

/// <summary>
/// Pushes a stored image under a name: each layer blob unless the repository has it (mounted
/// from another repository of the same registry that the image came from, when there is one),
/// then the config, then the manifest, byte for byte as stored, so its digest does not change.
/// </summary>
public sealed class ImagePusher(ImageStorage storage, RegistryClient registry)
{
    public async Task<(Digest Digest, long Size)> PushAsync(ImageRecord image, ImageReference target, Action<PushProgress>? progress, CancellationToken ct)
    {
        var service = new ImageService(storage);
        var manifest = service.ManifestOf(image);
        var manifestDigest = Digest.Parse(image.ManifestDigest);
        byte[] manifestBytes = storage.Content.ReadBlob(manifestDigest, ManifestReader.MaxManifestBytes);
        // Another repository of the same registry that has this image: its blobs can be mounted, not uploaded.
        string? mountFrom = image.RepoDigests
            .Select(d => ImageReference.TryParse(d, out var r, out _) ? r : null)
            .FirstOrDefault(r => r is not null && r.Domain == target.Domain && r.Path != target.Path)?.Path;

        var layers = manifest.Layers ?? [];
        var tasks = layers.Select(layer => Task.Run(async () =>
        {
            var digest = Digest.Parse(layer.Digest);
            string id = digest.Short;
            progress?.Invoke(new PushProgress(id, "Preparing"));
            if (!storage.Content.Has(digest)) throw new ImageException($"layer {digest} of the image is not in the content store");
            if (await registry.BlobExistsAsync(target, digest, ct).ConfigureAwait(false))
            {
                progress?.Invoke(new PushProgress(id, "Layer already exists"));
                return;
            }
            progress?.Invoke(new PushProgress(id, "Pushing"));
            await registry.PushBlobAsync(target, digest, layer.Size, () => storage.Content.OpenBlob(digest), mountFrom, ct).ConfigureAwait(false);
            progress?.Invoke(new PushProgress(id, mountFrom is null ? "Pushed" : "Mounted from " + mountFrom));
        }, ct)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var config = manifest.Config!;
        var configDigest = Digest.Parse(config.Digest);
        await registry.PushBlobAsync(target, configDigest, config.Size, () => storage.Content.OpenBlob(configDigest), mountFrom, ct).ConfigureAwait(false);
        var pushed = await registry.PutManifestAsync(target, target.Tag ?? ImageReference.DefaultTag, image.ManifestMediaType, manifestBytes, ct).ConfigureAwait(false);

        string repoDigest = target.Repository + "@" + pushed;
        storage.Index.Update(list =>
        {
            int at = list.Images.FindIndex(i => i.Id == image.Id);
            if (at >= 0 && !list.Images[at].RepoDigests.Contains(repoDigest))
                list.Images[at] = list.Images[at] with
                {
                    RepoDigests = [.. list.Images[at].RepoDigests.Where(d => !d.StartsWith(target.Repository + "@", StringComparison.Ordinal)), repoDigest],
                };
            return 0;
        });
        return (pushed, manifestBytes.Length);
    }
}
