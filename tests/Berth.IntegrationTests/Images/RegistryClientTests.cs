using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.Registry;
using static Berth.IntegrationTests.Images.TestContent;

namespace Berth.IntegrationTests.Images;

/// <summary>Push and pull against a real registry without authentication, directly and through a flaky proxy.</summary>
[Collection("registry")]
public sealed class RegistryClientTests(AnonymousRegistry fixture) : IClassFixture<AnonymousRegistry>, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private RegistryServer Server => fixture.Server;
    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [RegistryFact]
    public async Task A_small_blob_is_pushed_in_one_request_and_read_back()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "push/monolithic");
        byte[] blob = RandomBytes(100_000, 1);
        var digest = Digest.Of(blob);

        Assert.False(await client.BlobExistsAsync(repo, digest, Ct));
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);
        Assert.True(await client.BlobExistsAsync(repo, digest, Ct));

        await using var stream = await client.OpenBlobAsync(repo, digest, blob.Length, 0, Ct);
        Assert.Equal(blob, await ReadAllAsync(stream));
    }

    [RegistryFact]
    public async Task A_large_blob_is_pushed_in_chunks_and_read_back()
    {
        using var client = new RegistryClient(new RegistryOptions { ChunkSize = 64 << 10 });
        var repo = Repo(Server.Host, "push/chunked");
        byte[] blob = RandomBytes(300_017, 2); // four full chunks and a short one
        var digest = Digest.Of(blob);
        int opened = 0;

        await client.PushBlobAsync(repo, digest, blob.Length, () => { opened++; return new MemoryStream(blob); }, null, Ct);

        Assert.Equal(1, opened);
        await using var stream = await client.OpenBlobAsync(repo, digest, blob.Length, 0, Ct);
        Assert.Equal(blob, await ReadAllAsync(stream));
    }

    [RegistryFact]
    public async Task A_blob_reads_from_an_offset()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/offset");
        byte[] blob = RandomBytes(50_000, 3);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        await using (var stream = await client.OpenBlobAsync(repo, digest, blob.Length, 12_345, Ct))
            Assert.Equal(blob[12_345..], await ReadAllAsync(stream));
        await using (var stream = await client.OpenBlobAsync(repo, digest, blob.Length, blob.Length, Ct))
            Assert.Empty(await ReadAllAsync(stream));
    }

    [RegistryFact]
    public async Task Pushing_a_blob_the_repository_has_sends_nothing()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "push/twice");
        byte[] blob = RandomBytes(1000, 4);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        await client.PushBlobAsync(repo, digest, blob.Length, () => throw new InvalidOperationException("must not be read"), null, Ct);
    }

    [RegistryFact]
    public async Task A_blob_is_mounted_from_another_repository_without_upload()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var source = Repo(Server.Host, "mount/source");
        var target = Repo(Server.Host, "mount/target");
        byte[] blob = RandomBytes(20_000, 5);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(source, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        await client.PushBlobAsync(target, digest, blob.Length, () => throw new InvalidOperationException("must not be read"), source.Path, Ct);

        Assert.True(await client.BlobExistsAsync(target, digest, Ct));
    }

    [RegistryFact]
    public async Task A_mount_the_registry_refuses_falls_back_to_an_upload()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var target = Repo(Server.Host, "mount/fallback");
        byte[] blob = RandomBytes(20_000, 6);
        var digest = Digest.Of(blob);

        // The source repository does not have the blob: the registry answers 202 and an upload session.
        await client.PushBlobAsync(target, digest, blob.Length, () => new MemoryStream(blob), "mount/nowhere", Ct);

        Assert.True(await client.BlobExistsAsync(target, digest, Ct));
    }

    [RegistryFact]
    public async Task A_manifest_is_pushed_by_tag_and_pulled_by_tag_and_digest()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "manifests/app");
        byte[] config = """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray();
        byte[] layer = RandomBytes(5000, 7);
        foreach (var blob in new[] { config, layer })
            await client.PushBlobAsync(repo, Digest.Of(blob), blob.Length, () => new MemoryStream(blob), null, Ct);
        byte[] manifest = Manifest(config, layer);

        var pushed = await client.PutManifestAsync(repo, "v1", MediaTypes.OciManifest, manifest, Ct);
        Assert.Equal(Digest.Of(manifest), pushed);

        var byTag = await client.GetManifestAsync(repo, "v1", Ct);
        Assert.Equal(manifest, byTag.Bytes);
        Assert.Equal(MediaTypes.OciManifest, byTag.MediaType);
        Assert.Equal(pushed, byTag.Digest);

        var byDigest = await client.GetManifestAsync(repo, pushed.ToString(), Ct);
        Assert.Equal(manifest, byDigest.Bytes);
        Assert.Equal(pushed, byDigest.Digest);

        // An index over it, pushed by digest, comes back with the index media type.
        byte[] index = Index(manifest);
        var indexDigest = await client.PutManifestAsync(repo, Digest.Of(index).ToString(), MediaTypes.OciIndex, index, Ct);
        var fetchedIndex = await client.GetManifestAsync(repo, indexDigest.ToString(), Ct);
        Assert.Equal(MediaTypes.OciIndex, fetchedIndex.MediaType);
        Assert.Equal(index, fetchedIndex.Bytes);
    }

    [RegistryFact]
    public async Task A_missing_manifest_or_blob_says_so()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "missing/app");

        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(repo, "nope", Ct));
        Assert.Equal($"manifest unknown: {Server.Host}/missing/app:nope not found", e.Message);

        var digest = Digest.Of("nothing"u8);
        Assert.False(await client.BlobExistsAsync(repo, digest, Ct));
        e = await Assert.ThrowsAsync<RegistryException>(() => client.OpenBlobAsync(repo, digest, 7, 0, Ct));
        Assert.Equal($"blob unknown: {digest} not found in {Server.Host}/missing/app", e.Message);
    }

    [RegistryFact]
    public async Task An_unreachable_registry_is_one_line()
    {
        using var client = new RegistryClient(new RegistryOptions());
        int port = RegistryServer.FreePort(); // nothing listens there now
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Repo($"127.0.0.1:{port}", "a/b"), "latest", Ct));
        Assert.StartsWith($"cannot reach registry 127.0.0.1:{port}: Connection refused", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.IsTransient);
    }

    [RegistryFact]
    public async Task Several_blob_streams_read_at_once()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/concurrent");
        var blobs = Enumerable.Range(0, 6).Select(i => RandomBytes(200_000 + i, 100 + i)).ToArray();
        foreach (var blob in blobs)
            await client.PushBlobAsync(repo, Digest.Of(blob), blob.Length, () => new MemoryStream(blob), null, Ct);

        var streams = await Task.WhenAll(blobs.Select(b => client.OpenBlobAsync(repo, Digest.Of(b), b.Length, 0, Ct)));
        try
        {
            var read = await Task.WhenAll(streams.Select(ReadAllAsync));
            for (int i = 0; i < blobs.Length; i++) Assert.Equal(blobs[i], read[i]);
        }
        finally
        {
            foreach (var s in streams) await s.DisposeAsync();
        }
    }

    [RegistryFact]
    public async Task A_blob_stream_resumes_after_cut_connections_with_the_exact_bytes()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/resume");
        byte[] blob = RandomBytes(1 << 20, 8);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        // The first three connections break at odd places (mid-buffer); the fourth goes through.
        long[] cuts = [100_003, 250_001, 77_777];
        using var proxy = new FlakyProxy(Server.Port, i => i < cuts.Length ? Fault.CutAfter(cuts[i]) : null);
        using var viaProxy = new RegistryClient(new RegistryOptions());
        await using var stream = await viaProxy.OpenBlobAsync(Repo(proxy.Host, repo.Path), digest, blob.Length, 0, Ct);

        Assert.Equal(blob, await ReadAllAsync(stream));
        Assert.Equal(3, proxy.Faulted);
        Assert.Equal(4, proxy.Connections);
    }

    [RegistryFact]
    public async Task A_blob_stream_resumes_from_an_offset_with_small_reads()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/resume-offset");
        byte[] blob = RandomBytes(300_000, 9);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        using var proxy = new FlakyProxy(Server.Port, i => i < 2 ? Fault.CutAfter(40_000) : null);
        using var viaProxy = new RegistryClient(new RegistryOptions());
        await using var stream = await viaProxy.OpenBlobAsync(Repo(proxy.Host, repo.Path), digest, blob.Length, 1000, Ct);
        var read = new MemoryStream();
        var buffer = new byte[777];
        int n;
        while ((n = await stream.ReadAsync(buffer, Ct)) > 0) read.Write(buffer, 0, n);

        Assert.Equal(blob[1000..], read.ToArray());
        Assert.Equal(2, proxy.Faulted);
    }

    [RegistryFact]
    public async Task A_stalled_blob_stream_resumes()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/stall");
        byte[] blob = RandomBytes(200_000, 10);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        using var proxy = new FlakyProxy(Server.Port, i => i == 0 ? Fault.StallAfter(60_000) : null);
        using var viaProxy = new RegistryClient(new RegistryOptions { StallTimeout = TimeSpan.FromSeconds(1) });
        await using var stream = await viaProxy.OpenBlobAsync(Repo(proxy.Host, repo.Path), digest, blob.Length, 0, Ct);

        Assert.Equal(blob, await ReadAllAsync(stream));
        Assert.Equal(1, proxy.Faulted);
    }

    [RegistryFact]
    public async Task A_blob_stream_gives_up_when_resumes_make_no_progress()
    {
        using var client = new RegistryClient(new RegistryOptions());
        var repo = Repo(Server.Host, "pull/give-up");
        byte[] blob = RandomBytes(200_000, 11);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(repo, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        // The first connection delivers part of the blob; every later one breaks before a response.
        using var proxy = new FlakyProxy(Server.Port, i => Fault.CutAfter(i == 0 ? 50_000 : 0));
        using var viaProxy = new RegistryClient(new RegistryOptions());
        await using var stream = await viaProxy.OpenBlobAsync(Repo(proxy.Host, repo.Path), digest, blob.Length, 0, Ct);

        var e = await Assert.ThrowsAsync<RegistryException>(() => ReadAllAsync(stream));
        Assert.Contains("transfer broken at byte", e.Message);
        Assert.Contains("gave up after 5 retries", e.Message);
        Assert.Equal(1 + 5, proxy.Connections);
    }
}
