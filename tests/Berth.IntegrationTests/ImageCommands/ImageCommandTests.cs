using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>images, tag, rmi, history, prune and system df, with docker's output.</summary>
[Collection("images")]
public sealed class ImageCommandTests
{
    private const string Reg = ImageFixture.Registry;

    [Fact]
    public void ImagesListsTagsLikeDocker()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        store.Berth("tag", $"{Reg}/busybox:latest", "mybox:v1").Ok();
        var table = store.Berth("images").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$", table[0]);
        Assert.Equal(3, table.Length);
        Assert.Contains(table, l => l.StartsWith($"{Reg}/busybox ", StringComparison.Ordinal) && l.Contains(" latest "));
        Assert.Contains(table, l => l.StartsWith("mybox ", StringComparison.Ordinal) && l.Contains(" v1 "));

        string id = store.Berth("images", "-q").Ok().Stdout.Trim();
        Assert.Matches("^[0-9a-f]{12}$", id);
        Assert.Equal($"mybox:v1\n", store.Berth("images", "--format", "{{.Repository}}:{{.Tag}}", "mybox").Ok().Stdout);
        Assert.Equal($"{Reg}/busybox\n", store.Berth("images", "--filter", "reference=*/busybox", "--format", "{{.Repository}}").Ok().Stdout);
        Assert.Equal("", store.Berth("images", "--filter", "dangling=true", "-q").Ok().Stdout);
        var json = store.Berth("images", "--format", "json").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(json, l => Assert.Equal(id, (string?)System.Text.Json.Nodes.JsonNode.Parse(l)!["ID"]));
        var digests = store.Berth("images", "--digests", $"{Reg}/busybox").Ok().Stdout;
        Assert.Contains("DIGEST", digests);
        Assert.Contains("sha256:", digests);
        var bad = store.Berth("images", "--filter", "bogus=1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid filter 'bogus'", bad.Stderr);
    }

    [Fact]
    public void BeforeAndSinceCompareCreationTimes()
    {
        using var store = new TempStore();
        string rootfs = Path.Combine(store.Dir, "rootfs");
        Directory.CreateDirectory(rootfs);
        File.WriteAllText(Path.Combine(rootfs, "f"), "x");
        string tar = Path.Combine(store.Dir, "r.tar");
        Assert.Equal(0, ImageFixture.Shell($"tar -C '{rootfs}' -cf '{tar}' .").ExitCode);
        store.Berth("import", tar, "new:1").Ok();                     // created now
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();     // created 2025-01-01, pulled later
        Assert.Equal("new\n", store.Berth("images", "--filter", $"since={Reg}/busybox", "--format", "{{.Repository}}").Ok().Stdout);
        Assert.Equal($"{Reg}/busybox\n", store.Berth("images", "--filter", "before=new:1", "--format", "{{.Repository}}").Ok().Stdout);
        // Newest first, as docker lists them.
        Assert.Equal($"new\n{Reg}/busybox\n", store.Berth("images", "--format", "{{.Repository}}").Ok().Stdout);
    }

    [Fact]
    public void RmiUntagsThenDeletes()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        store.Berth("tag", $"{Reg}/busybox", "other/box:1").Ok();

        var byId = store.Berth("rmi", store.Berth("images", "-q").Ok().Stdout.Trim());
        Assert.Equal(1, byId.ExitCode);
        Assert.Contains("must be forced", byId.Stderr);
        Assert.Contains("referenced in multiple repositories", byId.Stderr);

        Assert.Equal("Untagged: other/box:1\n", store.Berth("rmi", "other/box:1").Ok().Stdout);
        string merged = store.Berth("image", "mount", $"{Reg}/busybox").Ok().Stdout.Trim();
        var inUse = store.Berth("rmi", $"{Reg}/busybox");
        Assert.Equal(1, inUse.ExitCode);
        Assert.Contains("in use", inUse.Stderr);
        Assert.True(File.Exists(Path.Combine(merged, "bin/busybox")), "a refused rmi leaves the image usable");

        var forced = store.Berth("rmi", "-f", $"{Reg}/busybox").Ok().Stdout;
        Assert.Contains($"Untagged: {Reg}/busybox:latest", forced);
        Assert.Contains($"Untagged: {Reg}/busybox@sha256:", forced);
        Assert.Matches(@"Deleted: sha256:[0-9a-f]{64}", forced);
        Assert.False(Directory.Exists(merged));
        Assert.Equal("", store.Berth("images", "-q").Ok().Stdout);
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(store.Root, "snapshots")), d => !Path.GetFileName(d).StartsWith('.'));
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "content/blobs/sha256")));

        var missing = store.Berth("rmi", "nothere:1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error: No such image: nothere:1\n", missing.Stderr);
    }

    [Fact]
    public void HistoryShowsEveryLayer()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/layered:latest").Ok();
        var lines = store.Berth("history", $"{Reg}/layered").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^IMAGE\s{3,}CREATED\s{3,}CREATED BY\s{3,}SIZE\s{3,}COMMENT$", lines[0]);
        Assert.True(lines.Length >= 10, string.Join('\n', lines));
        Assert.Matches("^[0-9a-f]{12} ", lines[1]);
        Assert.StartsWith("<missing>", lines[^1]);
    }

    [Fact]
    public void PruneAndDiskUsage()
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/layered:latest").Ok();
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        var df = store.Berth("system", "df").Ok().Stdout;
        Assert.Matches(@"Images\s+2\s+0\s+\d", df);

        Assert.Contains("Total reclaimed space: 0B", store.Berth("image", "prune", "-f").Ok().Stdout);
        store.Berth("rmi", $"{Reg}/layered").Ok();
        var all = store.Berth("image", "prune", "-a", "-f").Ok().Stdout;
        Assert.Contains($"untagged: {Reg}/busybox:latest", all);
        Assert.DoesNotContain("Total reclaimed space: 0B", all);
        Assert.Equal("", store.Berth("images", "-q").Ok().Stdout);
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "content/blobs/sha256")));
        // Without -f and without a "y" on stdin, nothing is removed.
        store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
        store.BerthIn("n\n", "image", "prune", "-a").Ok();
        Assert.NotEqual("", store.Berth("images", "-q").Ok().Stdout);
    }
}
