using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>
/// What a registry or the network can do wrong: each gets a one-line error, exit 1, and leaves the
/// store as it was (the image pulled before still listed and whole; no blob, snapshot or image added).
/// </summary>
[Collection("images")]
public sealed class HostileInputTests : IDisposable
{
    private readonly TempStore _store = new();
    private readonly FakeRegistry _fake = new();

    public HostileInputTests()
    {
        _store.Berth("pull", "-q", $"{ImageFixture.Registry}/busybox:latest").Ok();
    }

    public void Dispose()
    {
        try { _fake.Dispose(); }
        finally { _store.Dispose(); }
    }

    private static byte[] Tar(Action<TarWriter> write)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true)) write(w);
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    private static byte[] File(string name, string text) => Tar(w =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) }));

    private string[] Snapshot() =>
        [.. Directory.GetFileSystemEntries(_store.Root, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/snapshots/") || p.Split('/').Length <= _store.Root.Split('/').Length + 2)
            .Where(p => !p.EndsWith(".lock", StringComparison.Ordinal) && !p.EndsWith("gc.lock", StringComparison.Ordinal))
            .Order()];

    private void FailsCleanly(string image, string message)
    {
        var before = Snapshot();
        string imagesBefore = _store.Berth("images").Ok().Stdout;
        var r = _store.Berth("pull", image);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("Error: ", r.Stderr);
        Assert.Equal(imagesBefore, _store.Berth("images").Ok().Stdout);
        var after = Snapshot().Where(p => !p.Contains("/ingest/")).ToArray();
        Assert.Equal(before.Where(p => !p.Contains("/ingest/")), after);
    }

    [Fact]
    public void UnknownTag() => FailsCleanly($"{ImageFixture.Registry}/busybox:no-such-tag", "manifest unknown");

    [Fact]
    public void UnreachableRegistry() => FailsCleanly("127.0.0.1:1/busybox:latest", "127.0.0.1:1");

    [Fact]
    public void BadReference()
    {
        var r = _store.Berth("pull", "UPPER/Case");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("invalid reference format", r.Stderr);
    }

    [Fact]
    public void LayerDigestMismatch()
    {
        byte[] tar = File("hello", "hi");
        _fake.AddImage("evil", "digest", Gzip(tar), tar, claimedLayerDigest: FakeRegistry.Sha(Gzip(File("other", "x"))));
        FailsCleanly($"{_fake.Address}/evil:digest", "digest");
        Assert.Empty(Directory.GetFiles(Path.Combine(_store.Root, "content/ingest"), "*.partial"));
    }

    [Fact]
    public void DiffIdMismatch()
    {
        byte[] tar = File("hello", "hi");
        _fake.AddImage("evil", "diffid", Gzip(tar), File("hello", "other content"));
        FailsCleanly($"{_fake.Address}/evil:diffid", "the image config says");
    }

    [Fact]
    public void TruncatedBlobIsRetriedThenRefused()
    {
        byte[] tar = File("hello", new string('z', 200_000));
        byte[] gz = Gzip(tar);
        _fake.AddImage("evil", "cut", gz, tar, cutLayerAfter: gz.Length / 2);
        FailsCleanly($"{_fake.Address}/evil:cut", "");
    }

    [Fact]
    public void PathTraversalLayer()
    {
        byte[] tar = File("../../../../tmp/berth-img-test-escaped", "pwned");
        _fake.AddImage("evil", "escape", Gzip(tar), tar);
        FailsCleanly($"{_fake.Address}/evil:escape", "..");
        Assert.False(System.IO.File.Exists("/tmp/berth-img-test-escaped"));
    }

    [Fact]
    public void SymlinkEscapeLayer()
    {
        string outside = Path.Combine(_store.Dir, "outside");
        Directory.CreateDirectory(outside);
        byte[] tar = Tar(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = outside });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "link/pwned") { DataStream = new MemoryStream("x"u8.ToArray()) });
        });
        _fake.AddImage("evil", "symlink", Gzip(tar), tar);
        FailsCleanly($"{_fake.Address}/evil:symlink", "link");
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public void HardlinkEscapeLayer()
    {
        byte[] tar = Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "../../../../etc/passwd" }));
        _fake.AddImage("evil", "hardlink", Gzip(tar), tar);
        FailsCleanly($"{_fake.Address}/evil:hardlink", "passwd");
    }

    [Fact]
    public void ManifestNotJson()
    {
        _fake.Add("evil/manifests/notjson", "this is <html> not json"u8.ToArray(), "application/vnd.oci.image.manifest.v1+json");
        FailsCleanly($"{_fake.Address}/evil:notjson", "JSON");
    }

    [Fact]
    public void HugeManifest()
    {
        var huge = new byte[5 << 20];
        Array.Fill(huge, (byte)' ');
        huge[0] = (byte)'{';
        huge[^1] = (byte)'}';
        _fake.Add("evil/manifests/huge", huge, "application/vnd.oci.image.manifest.v1+json");
        FailsCleanly($"{_fake.Address}/evil:huge", "more than the limit");
    }

    [Fact]
    public void AbsurdLayerSize()
    {
        byte[] manifest = Encoding.UTF8.GetBytes(
            """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":999999999999999999}]}""");
        _fake.Add("evil/manifests/absurd", manifest, "application/vnd.oci.image.manifest.v1+json");
        FailsCleanly($"{_fake.Address}/evil:absurd", "absurd size");
    }

    [Fact]
    public void ForeignLayerRefused()
    {
        byte[] manifest = Encoding.UTF8.GetBytes(
            """{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":100,"urls":["https://example.invalid/layer"]}]}""");
        _fake.Add("evil/manifests/foreign", manifest, "application/vnd.docker.distribution.manifest.v2+json");
        FailsCleanly($"{_fake.Address}/evil:foreign", "non-distributable");
    }
}
