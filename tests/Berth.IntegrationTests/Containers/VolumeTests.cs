using System.Text.Json;

namespace Berth.IntegrationTests.Containers;

/// <summary>
/// berth volume create, ls, inspect, rm and prune: docker's output and refusals, a named volume two
/// containers share, an anonymous volume that goes with rm -v, what prune takes and leaves.
/// </summary>
[Collection("images")]
public sealed class VolumeTests(EngineStore store) : IClassFixture<EngineStore>
{
    private string[] Lines(params string[] args) => store.Berth(args).Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void CreateListInspectRemove()
    {
        Assert.Equal("vt-named\n", store.Berth("volume", "create", "--label", "team=boats", "--label", "tier", "vt-named").Ok().Stdout);
        Assert.Equal("vt-named\n", store.Berth("volume", "create", "vt-named").Ok().Stdout);   // exists: returned as it is
        string anonymous = store.Berth("volume", "create").Ok().Stdout.Trim();
        Assert.Matches("^[0-9a-f]{64}$", anonymous);
        try
        {
            var table = Lines("volume", "ls");
            Assert.Matches(@"^DRIVER\s+VOLUME NAME$", table[0]);
            Assert.Contains(table, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^local\s+vt-named$"));
            Assert.Equal(["vt-named"], Lines("volume", "ls", "-q", "--filter", "label=team=boats"));
            Assert.Equal(["vt-named"], Lines("volume", "ls", "-q", "--filter", "name=vt-"));
            Assert.Equal([anonymous], Lines("volume", "ls", "-q", "--filter", "label=com.docker.volume.anonymous"));
            Assert.Equal(["vt-named local"], Lines("volume", "ls", "--filter", "label=tier", "--format", "{{.Name}} {{.Driver}}"));
            Assert.Equal(1, store.Berth("volume", "ls", "--filter", "colour=red").ExitCode);

            using var doc = JsonDocument.Parse(store.Berth("volume", "inspect", "vt-named").Ok().Stdout);
            var v = doc.RootElement.EnumerateArray().Single();
            Assert.Equal("vt-named", v.GetProperty("Name").GetString());
            Assert.Equal("local", v.GetProperty("Driver").GetString());
            Assert.Equal("local", v.GetProperty("Scope").GetString());
            Assert.Equal("boats", v.GetProperty("Labels").GetProperty("team").GetString());
            Assert.Equal("", v.GetProperty("Labels").GetProperty("tier").GetString());
            Assert.True(Directory.Exists(v.GetProperty("Mountpoint").GetString()));
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", v.GetProperty("CreatedAt").GetString());
            Assert.Equal("vt-named boats", store.Berth("volume", "inspect", "-f", "{{.Name}} {{.Labels.team}}", "vt-named").Ok().Stdout.Trim());
            var missing = store.Berth("volume", "inspect", "vt-named", "vt-missing");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("vt-missing: no such volume", missing.Stderr);

            Assert.Equal("vt-named\n", store.Berth("volume", "rm", "vt-named").Ok().Stdout);
            Assert.DoesNotContain("vt-named", store.Berth("volume", "ls", "-q").Ok().Stdout);
            var again = store.Berth("volume", "rm", "vt-named");
            Assert.Equal(1, again.ExitCode);
            Assert.Equal("Error: get vt-named: no such volume\n", again.Stderr);
            Assert.Equal(0, store.Berth("volume", "rm", "-f", "vt-named").ExitCode);
            Assert.Equal(1, store.Berth("volume", "create", "bad/name").ExitCode);
            Assert.Equal(1, store.Berth("volume", "create", "--driver", "nfs-magic", "vt-other").ExitCode);
        }
        finally { store.Berth("volume", "rm", "-f", "vt-named", anonymous).Ok(); }
        Assert.Equal("", store.Berth("volume", "ls", "-q").Ok().Stdout);
    }

    [Fact]
    public void AVolumeInUseIsNotRemoved()
    {
        string id = store.Berth("run", "-d", "--name", "vt-user", "-v", "vt-busy:/data", "busybox", "sleep", "600").Ok().Stdout.Trim();
        try
        {
            var refused = store.Berth("volume", "rm", "vt-busy");
            Assert.Equal(1, refused.ExitCode);
            Assert.Equal($"Error: remove vt-busy: volume is in use - [{id}]\n", refused.Stderr);
            Assert.Equal(1, store.Berth("volume", "rm", "-f", "vt-busy").ExitCode);
            Assert.Equal(["vt-busy"], Lines("volume", "ls", "-q", "--filter", "dangling=false"));
            Assert.Empty(Lines("volume", "ls", "-q", "--filter", "dangling=true"));
            store.Berth("volume", "prune", "-a", "-f").Ok();
            Assert.Equal(["vt-busy"], Lines("volume", "ls", "-q"));
        }
        finally { store.Berth("rm", "-f", "vt-user").Ok(); }
        Assert.Equal(["vt-busy"], Lines("volume", "ls", "-q", "--filter", "dangling=true"));
        Assert.Equal("vt-busy\n", store.Berth("volume", "rm", "vt-busy").Ok().Stdout);
    }

    [Fact]
    public void TwoContainersShareANamedVolume()
    {
        store.Berth("volume", "create", "vt-shared").Ok();
        store.Berth("run", "-d", "--name", "vt-reader", "-v", "vt-shared:/in:ro", "busybox", "sleep", "600").Ok();
        try
        {
            store.Berth("run", "--rm", "-v", "vt-shared:/out", "busybox", "sh", "-c", "echo from-writer > /out/note").Ok();
            Assert.Equal("from-writer\n", store.Berth("exec", "vt-reader", "cat", "/in/note").Ok().Stdout);
            Assert.Equal(1, store.Berth("exec", "vt-reader", "touch", "/in/nope").ExitCode);
            string mountpoint = store.Berth("volume", "inspect", "-f", "{{.Mountpoint}}", "vt-shared").Ok().Stdout.Trim();
            Assert.Equal("from-writer\n", File.ReadAllText(Path.Combine(mountpoint, "note")));
        }
        finally { store.Berth("rm", "-f", "vt-reader").Ok(); }
        store.Berth("volume", "rm", "vt-shared").Ok();
    }

    [Fact]
    public void AnAnonymousVolumeGoesWithItsContainerOnRmV()
    {
        string kept = store.Berth("create", "-v", "/scratch", "busybox", "true").Ok().Stdout.Trim();
        string removed = store.Berth("create", "-v", "/scratch", "busybox", "true").Ok().Stdout.Trim();
        string keptVolume = store.Inspect(kept, "{{range .Mounts}}{{.Name}}{{end}}");
        string removedVolume = store.Inspect(removed, "{{range .Mounts}}{{.Name}}{{end}}");
        Assert.Equal("{\"com.docker.volume.anonymous\":\"\"}", store.Berth("volume", "inspect", "-f", "{{json .Labels}}", removedVolume).Ok().Stdout.Trim());
        store.Berth("rm", "-v", removed).Ok();
        store.Berth("rm", kept).Ok();
        Assert.Equal([keptVolume], Lines("volume", "ls", "-q"));
        store.Berth("volume", "rm", keptVolume).Ok();
    }

    [Fact]
    public void PruneTakesUnusedAnonymousVolumesOrWithAllEveryUnusedOne()
    {
        string anonymous = store.Berth("volume", "create").Ok().Stdout.Trim();
        store.Berth("volume", "create", "--label", "keep=yes", "vt-labelled").Ok();
        store.Berth("volume", "create", "vt-plain").Ok();
        store.Berth("run", "-d", "--name", "vt-pinned", "-v", "vt-used:/data", "-v", "/anon-used", "busybox", "sleep", "600").Ok();
        string usedAnonymous = store.Inspect("vt-pinned", "{{range .Mounts}}{{.Destination}}={{.Name}};{{end}}")
            .Split(';').Single(m => m.StartsWith("/anon-used=", StringComparison.Ordinal))["/anon-used=".Length..];
        try
        {
            File.WriteAllText(Path.Combine(store.Root, "volumes", anonymous, "_data", "f"), new string('x', 2000));
            var prune = store.Berth("volume", "prune", "-f").Ok();
            Assert.Equal($"Deleted Volumes:\n{anonymous}\n\nTotal reclaimed space: 2kB\n", prune.Stdout);
            Assert.Equal(new[] { usedAnonymous, "vt-labelled", "vt-plain", "vt-used" }.Order(StringComparer.Ordinal), Lines("volume", "ls", "-q").Order(StringComparer.Ordinal));

            var labelled = store.Berth("volume", "prune", "-a", "-f", "--filter", "label!=keep").Ok();
            Assert.Equal("Deleted Volumes:\nvt-plain\n\nTotal reclaimed space: 0B\n", labelled.Stdout);
            store.Berth("volume", "prune", "--all", "--force").Ok();
            Assert.Equal(new[] { usedAnonymous, "vt-used" }.Order(StringComparer.Ordinal), Lines("volume", "ls", "-q").Order(StringComparer.Ordinal));
            Assert.Equal("Total reclaimed space: 0B\n", store.Berth("volume", "prune", "-a", "-f").Ok().Stdout);
            // Without -f it asks, and anything but yes keeps the volumes.
            Assert.Contains("Are you sure you want to continue? [y/N]", store.BerthIn("n\n", "volume", "prune").Ok().Stdout);
        }
        finally { store.Berth("rm", "-f", "-v", "vt-pinned").Ok(); }
        store.Berth("volume", "rm", "vt-used").Ok();
        Assert.Equal("", store.Berth("volume", "ls", "-q").Ok().Stdout);
    }
}
