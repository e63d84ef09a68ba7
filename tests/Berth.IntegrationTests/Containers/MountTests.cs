namespace Berth.IntegrationTests.Containers;

/// <summary>-v and --mount: bind mounts, named volumes shared between containers, tmpfs, --init.</summary>
[Collection("images")]
public sealed class MountTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void BindMountsReadWriteAndReadOnly()
    {
        string host = Directory.CreateDirectory(Path.Combine(store.Dir, "shared")).FullName;
        File.WriteAllText(Path.Combine(host, "in.txt"), "from the host");
        var r = store.Berth("run", "--rm", "-v", host + ":/data", "-v", host + ":/ro:ro", "busybox", "sh", "-c",
            "cat /data/in.txt; echo; echo back > /data/out.txt; touch /ro/x 2>/dev/null && echo wrote || echo refused").Ok();
        Assert.Equal("from the host\nrefused\n", r.Stdout);
        Assert.Equal("back\n", File.ReadAllText(Path.Combine(host, "out.txt")));
        var mountFlag = store.Berth("run", "--rm", "--mount", $"type=bind,source={host},target=/m,readonly", "busybox", "cat", "/m/in.txt").Ok();
        Assert.Equal("from the host", mountFlag.Stdout);
        var missing = store.Berth("run", "--rm", "--mount", "type=bind,source=/no/such/dir,target=/m", "busybox", "true");
        Assert.Equal(125, missing.ExitCode);
    }

    [Fact]
    public void ANamedVolumeOutlivesItsContainers()
    {
        store.Berth("run", "--rm", "-v", "harbor-data:/data", "busybox", "sh", "-c", "echo persisted > /data/f").Ok();
        var r = store.Berth("run", "--rm", "-v", "harbor-data:/data:ro", "busybox", "cat", "/data/f").Ok();
        Assert.Equal("persisted\n", r.Stdout);
        Assert.True(File.Exists(Path.Combine(store.Root, "volumes", "harbor-data", "_data", "f")));
    }

    [Fact]
    public void AnAnonymousVolumeGoesWithRmV()
    {
        string id = store.Berth("create", "-v", "/scratch", "busybox", "true").Ok().Stdout.Trim();
        string name = store.Inspect(id, "{{range .Mounts}}{{.Name}}{{end}}");
        Assert.Matches("^[0-9a-f]{64}$", name);
        Assert.True(Directory.Exists(Path.Combine(store.Root, "volumes", name)));
        store.Berth("rm", "-v", id).Ok();
        Assert.False(Directory.Exists(Path.Combine(store.Root, "volumes", name)));
    }

    [Fact]
    public void InitReapsAndForwards()
    {
        var r = store.Berth("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '").Ok();
        Assert.StartsWith("/sbin/docker-init -- sh", r.Stdout);
    }
}
