using System.Formats.Tar;
using System.Text.Json.Nodes;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>save/load (docker-archive and oci-archive) and import, checked against the fixtures' listings and skopeo.</summary>
[Collection("images")]
public sealed class ArchiveTests
{
    private const string Reg = ImageFixture.Registry;

    [Theory]
    [InlineData("docker-archive")]
    [InlineData("oci-archive")]
    public void SaveThenLoadGivesTheSameImage(string format)
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/layered:latest").Ok();
        string id = store.Berth("image", "inspect", "-f", "{{.Id}}", $"{Reg}/layered").Ok().Stdout.Trim();
        string archive = Path.Combine(store.Dir, "layered.tar");
        store.Berth("save", "--format", format, "-o", archive, $"{Reg}/layered:latest").Ok();

        // A third-party reader takes the archive: skopeo sees the same config.
        var skopeo = ImageFixture.Shell($"skopeo inspect --config {format}:{archive}");
        Assert.True(skopeo.ExitCode == 0, skopeo.ToString());
        Assert.Equal("amd64", (string?)JsonNode.Parse(skopeo.Stdout)!["architecture"]);

        store.Berth("rmi", $"{Reg}/layered:latest").Ok();
        var load = store.Berth("load", "-i", archive).Ok();
        Assert.Equal($"Loaded image: {Reg}/layered:latest\n", load.Stdout);
        Assert.Equal(id, store.Berth("image", "inspect", "-f", "{{.Id}}", $"{Reg}/layered:latest").Ok().Stdout.Trim());
        string merged = store.Berth("image", "mount", $"{Reg}/layered:latest").Ok().Stdout.Trim();
        try { TreeAssert.SameAsExpected(merged, "layered"); }
        finally { store.Berth("image", "unmount", $"{Reg}/layered:latest").Ok(); }
    }

    [Fact]
    public void LoadsWhatSkopeoWrites()
    {
        using var store = new TempStore();
        string archive = Path.Combine(store.Dir, "busybox-skopeo.tar");
        var copy = ImageFixture.Shell($"skopeo copy --quiet --src-tls-verify=false docker://{Reg}/busybox:latest docker-archive:{archive}:skopeo/busybox:copied");
        Assert.True(copy.ExitCode == 0, copy.ToString());
        store.BerthIn(null, "load", "-i", archive).Ok();
        string merged = store.Berth("image", "mount", "skopeo/busybox:copied").Ok().Stdout.Trim();
        try { TreeAssert.SameAsExpected(merged, "busybox"); }
        finally { store.Berth("image", "unmount", "skopeo/busybox:copied").Ok(); }
    }

    [Fact]
    public void ImportMakesAOneLayerImage()
    {
        using var store = new TempStore();
        string rootfs = Path.Combine(store.Dir, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc/hello"), "imported\n");
        string tarGz = Path.Combine(store.Dir, "rootfs.tar.gz");
        Assert.Equal(0, ImageFixture.Shell($"tar -C '{rootfs}' -czf '{tarGz}' .").ExitCode);

        string id = store.Berth("import", "-c", "CMD [\"/bin/sh\"]", "-c", "ENV A=1", "-m", "test import", tarGz, "imported:v1").Ok().Stdout.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        var inspect = JsonNode.Parse(store.Berth("image", "inspect", "imported:v1").Ok().Stdout)!.AsArray()[0]!;
        Assert.Equal(id, (string?)inspect["Id"]);
        Assert.Equal("/bin/sh", (string?)inspect["Config"]!["Cmd"]![0]);
        Assert.Equal("A=1", (string?)inspect["Config"]!["Env"]![0]);
        Assert.Single(inspect["RootFS"]!["Layers"]!.AsArray());
        string merged = store.Berth("image", "mount", "imported:v1").Ok().Stdout.Trim();
        try { Assert.Equal("imported\n", File.ReadAllText(Path.Combine(merged, "etc/hello"))); }
        finally { store.Berth("image", "unmount", "imported:v1").Ok(); }

        // From stdin too.
        string plainTar = Path.Combine(store.Dir, "rootfs.tar");
        Assert.Equal(0, ImageFixture.Shell($"tar -C '{rootfs}' -cf '{plainTar}' .").ExitCode);
        var fromStdin = ImageFixture.Shell($"'{BerthBinary.PathToBinary}' --root '{store.Root}' --runroot '{store.RunRoot}' import - piped:1 < '{plainTar}'");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        var bad = store.Berth("import", "-c", "RUN echo", tarGz);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("RUN is not a supported instruction", bad.Stderr);
    }

    [Fact]
    public void HostileArchivesAreRefused()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        string evil = Path.Combine(store.Dir, "evil.tar");
        using (var f = File.Create(evil))
        using (var w = new TarWriter(f))
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, "../../escape") { DataStream = new MemoryStream("x"u8.ToArray()) };
            w.WriteEntry(e);
        }
        var r = store.Berth("load", "-i", evil);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside the archive", r.Stderr);
        string notTar = Path.Combine(store.Dir, "junk.tar");
        File.WriteAllText(notTar, new string('j', 5000));
        var junk = store.Berth("load", "-i", notTar);
        Assert.Equal(1, junk.ExitCode);
        Assert.Single(junk.Stderr.Trim().Split('\n'));
        // What was stored before is intact.
        Assert.Contains($"{Reg}/busybox", store.Berth("images").Ok().Stdout);
    }
}
