using System.Text.Json.Nodes;
using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>
/// Pulls of every fixture from the real registry; each image's merged root, mounted with
/// overlayfs, is compared file by file with what umoci unpacked from the same image.
/// </summary>
[Collection("images")]
public sealed class PullTests
{
    private const string Reg = ImageFixture.Registry;

    [Theory]
    [InlineData("busybox:latest", "busybox")]
    [InlineData("busybox:latest-oci", "busybox")]
    [InlineData("busybox:zstd-oci", "busybox")]
    [InlineData("layered:latest", "layered")]
    [InlineData("layered:latest-oci", "layered")]
    [InlineData("multiarch:latest", "multiarch-amd64")]
    [InlineData("multiarch:latest-oci", "multiarch-amd64")]
    public void MergedViewMatchesUmoci(string image, string expected)
    {
        using var store = new TempStore();
        var pull = store.Berth("pull", $"{Reg}/{image}").Ok();
        Assert.Contains($"Status: Downloaded newer image for {Reg}/{image}", pull.Stdout);
        Assert.EndsWith($"{Reg}/{image}\n", pull.Stdout);
        string merged = store.Berth("image", "mount", $"{Reg}/{image}").Ok().Stdout.Trim();
        try { TreeAssert.SameAsExpected(merged, expected); }
        finally { store.Berth("image", "unmount", $"{Reg}/{image}").Ok(); }
        Assert.False(Directory.Exists(merged), "unmount leaves the mount point");
    }

    [Ext4Fact]
    public void SnapshotsAreSpreadOverBlockGroups()
    {
        using var store = new TempStore();
        string snapshots = Path.Combine(store.Root, "snapshots");
        Directory.CreateDirectory(snapshots);   // as in a store made before the flag: the pull sets it
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        var psi = new System.Diagnostics.ProcessStartInfo("lsattr", ["-d", snapshots]) { RedirectStandardOutput = true };
        using var lsattr = System.Diagnostics.Process.Start(psi)!;
        string flags = lsattr.StandardOutput.ReadToEnd().Split(' ')[0];
        lsattr.WaitForExit();
        Assert.Contains('T', flags);   // ext4's "top of directory hierarchies"
    }

    [Fact]
    public void PlatformSelectsTheIndexEntry()
    {
        using var store = new TempStore();
        store.Berth("pull", "--platform", "linux/arm64", $"{Reg}/multiarch:latest-oci").Ok();
        var inspect = JsonNode.Parse(store.Berth("image", "inspect", $"{Reg}/multiarch:latest-oci").Ok().Stdout)!.AsArray()[0]!;
        Assert.Equal("arm64", (string?)inspect["Architecture"]);
        string merged = store.Berth("image", "mount", $"{Reg}/multiarch:latest-oci").Ok().Stdout.Trim();
        try
        {
            Assert.Equal("arm64\n", File.ReadAllText(Path.Combine(merged, "etc/arch")));
            TreeAssert.SameAsExpected(merged, "multiarch-arm64");
        }
        finally { store.Berth("image", "unmount", $"{Reg}/multiarch:latest-oci").Ok(); }

        var none = store.Berth("pull", "--platform", "linux/s390x", $"{Reg}/multiarch:latest");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no matching manifest for linux/s390x", none.Stderr);
        Assert.Single(none.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void DebianMatchesUmoci()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/debian:bookworm-slim").Ok();
        string merged = store.Berth("image", "mount", $"{Reg}/debian:bookworm-slim").Ok().Stdout.Trim();
        try { TreeAssert.SameAsExpected(merged, "debian"); }
        finally { store.Berth("image", "unmount", $"{Reg}/debian:bookworm-slim").Ok(); }
    }

    [Fact]
    public void PlainCopyDriverGivesTheSameView()
    {
        using var store = new TempStore { Driver = "vfs" };
        store.Berth("pull", "-q", $"{Reg}/layered:latest").Ok();
        string merged = store.Berth("image", "mount", $"{Reg}/layered:latest").Ok().Stdout.Trim();
        try { TreeAssert.SameAsExpected(merged, "layered"); }
        finally { store.Berth("image", "unmount", $"{Reg}/layered:latest").Ok(); }
    }

    [Fact]
    public void SecondPullReusesEverything()
    {
        using var store = new TempStore();
        store.Berth("pull", $"{Reg}/layered:latest").Ok();
        var again = store.Berth("pull", $"{Reg}/layered:latest").Ok();
        Assert.Contains("Already exists", again.Stdout);
        Assert.DoesNotContain("Pull complete", again.Stdout);
        Assert.Contains($"Status: Image is up to date for {Reg}/layered:latest", again.Stdout);
        // The OCI twin has the same layers: only the config and manifest are new.
        var twin = store.Berth("pull", $"{Reg}/layered:latest-oci").Ok();
        Assert.DoesNotContain("Pull complete", twin.Stdout);
        // busybox is layered's base: its one layer is shared.
        var busybox = store.Berth("pull", $"{Reg}/busybox:latest").Ok();
        Assert.Contains("Already exists", busybox.Stdout);
        Assert.Equal(9, Directory.GetDirectories(Path.Combine(store.Root, "snapshots")).Count(d => !Path.GetFileName(d).StartsWith('.')));
    }

    [Fact]
    public async Task InspectShowsTheRegistryConfig()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        using var http = new HttpClient();
        var req = new HttpRequestMessage(HttpMethod.Get, $"http://{Reg}/v2/busybox/manifests/latest");
        req.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        var manifest = JsonNode.Parse(await (await http.SendAsync(req)).Content.ReadAsStringAsync())!;
        string configDigest = (string)manifest["config"]!["digest"]!;

        var inspect = JsonNode.Parse(store.Berth("image", "inspect", $"{Reg}/busybox").Ok().Stdout)!.AsArray()[0]!;
        Assert.Equal(configDigest, (string?)inspect["Id"]);
        Assert.Equal($"{Reg}/busybox:latest", (string?)inspect["RepoTags"]![0]);
        Assert.StartsWith($"{Reg}/busybox@sha256:", (string?)inspect["RepoDigests"]![0]);
        Assert.Equal("amd64", (string?)inspect["Architecture"]);
        Assert.Equal("linux", (string?)inspect["Os"]);
        Assert.Contains("sh", inspect["Config"]!["Cmd"]!.AsArray().Select(n => (string?)n));
        Assert.True((long)inspect["Size"]! > 1_000_000);

        Assert.Equal(configDigest + "\n", store.Berth("image", "inspect", "--format", "{{.Id}}", $"{Reg}/busybox").Ok().Stdout);
        Assert.Equal("[sh]\n", store.Berth("image", "inspect", "-f", "{{.Config.Cmd}}", $"{Reg}/busybox").Ok().Stdout);
        Assert.Equal(configDigest + "\n", store.Berth("image", "inspect", "-f", "{{.Id}}", configDigest[7..19]).Ok().Stdout);
    }

    [Fact]
    public void PullByDigest()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        string repoDigest = store.Berth("image", "inspect", "-f", "{{index .RepoDigests 0}}", $"{Reg}/busybox").Ok().Stdout.Trim();
        Assert.StartsWith($"{Reg}/busybox@sha256:", repoDigest);

        using var other = new TempStore();
        var pull = other.Berth("pull", repoDigest).Ok();
        Assert.Equal($"{repoDigest.Split('@')[1]}: Pulling from busybox", pull.Stdout.Split('\n')[0]);
        Assert.EndsWith(repoDigest + "\n", pull.Stdout);
        // Pulled by digest only: listed with digest and no tag, as docker lists it.
        var row = other.Berth("images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}").Ok().Stdout;
        Assert.Equal($"{Reg}/busybox <none> {repoDigest.Split('@')[1]}\n", row);
        Assert.Equal(store.Berth("image", "inspect", "-f", "{{.Id}}", $"{Reg}/busybox").Ok().Stdout,
            other.Berth("image", "inspect", "-f", "{{.Id}}", repoDigest).Ok().Stdout);

        var wrong = other.Berth("pull", $"{Reg}/busybox@sha256:{new string('0', 64)}");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Single(wrong.Stderr.Trim().Split('\n'));
    }
}

/// <summary>A test of an ext2/3/4 behaviour: skipped with the reason where the temporary folder is on another file system.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Ext4FactAttribute : FactAttribute
{
    public Ext4FactAttribute()
    {
        int fd = Berth.Linux.Libc.open(Path.GetTempPath(), Berth.Linux.Libc.O_RDONLY | Berth.Linux.Libc.O_DIRECTORY | Berth.Linux.Libc.O_CLOEXEC);
        try
        {
            if (fd < 0 || Berth.Linux.Libc.fstatfs(fd, out var st) != 0 || st.f_type != 0xEF53)
                Skip = $"requires an ext2/3/4 file system under {Path.GetTempPath()}";
        }
        finally { if (fd >= 0) Berth.Linux.Libc.close(fd); }
    }
}
