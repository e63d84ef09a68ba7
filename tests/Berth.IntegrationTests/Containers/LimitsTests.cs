namespace Berth.IntegrationTests.Containers;

/// <summary>Resource flags: their values in the container's cgroup files and their effect on it (this host: cgroup v1).</summary>
[Collection("images")]
public sealed class LimitsTests(EngineStore store) : IClassFixture<EngineStore>
{
    private static string CgroupFile(string controller, string id, string file) => $"/sys/fs/cgroup/{controller}/berth/{id}/{file}";

    [Fact]
    public void ResourceFlagsReachTheCgroup()
    {
        string id = store.Berth("run", "-d", "-m", "64m", "--memory-reservation", "32m", "--cpus", "0.5", "--cpu-shares", "512",
            "--pids-limit", "50", "--cpuset-cpus", "0", "busybox", "sleep", "600").Ok().Stdout.Trim();
        try
        {
            Assert.Equal((64L << 20).ToString(), File.ReadAllText(CgroupFile("memory", id, "memory.limit_in_bytes")).Trim());
            Assert.Equal((32L << 20).ToString(), File.ReadAllText(CgroupFile("memory", id, "memory.soft_limit_in_bytes")).Trim());
            Assert.Equal("50000", File.ReadAllText(CgroupFile("cpu", id, "cpu.cfs_quota_us")).Trim());
            Assert.Equal("100000", File.ReadAllText(CgroupFile("cpu", id, "cpu.cfs_period_us")).Trim());
            Assert.Equal("512", File.ReadAllText(CgroupFile("cpu", id, "cpu.shares")).Trim());
            Assert.Equal("50", File.ReadAllText(CgroupFile("pids", id, "pids.max")).Trim());
            Assert.Equal("0", File.ReadAllText(CgroupFile("cpuset", id, "cpuset.cpus")).Trim());
            Assert.Equal((64L << 20).ToString(), store.Inspect(id, "{{.HostConfig.Memory}}"));
        }
        finally { store.Berth("rm", "-f", id).Ok(); }
        Assert.False(Directory.Exists(Path.GetDirectoryName(CgroupFile("memory", id, "x"))));
    }

    [Fact]
    public void AMemoryHogIsOomKilledWithExitCode137()
    {
        // tail keeps a line that never ends in memory: it grows until the limit kills it.
        var r = store.Berth("run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c", "tail /dev/zero");
        try
        {
            Assert.Equal(137, r.ExitCode);
            Assert.Equal("true 137", store.Inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"));
        }
        finally { store.Berth("rm", "-f", "hog").Ok(); }
    }

    [Fact]
    public void ThePidsLimitStopsAForkBomb()
    {
        const string bomb = "for i in $(seq 1 30); do sleep 600 & done; echo survived";
        // busybox sh gives up at the first fork the limit refuses.
        var limited = store.Berth("run", "--rm", "--pids-limit", "8", "busybox", "sh", "-c", bomb);
        Assert.Equal(2, limited.ExitCode);
        Assert.Contains("can't fork", limited.Stderr);
        var roomy = store.Berth("run", "--rm", "--pids-limit", "64", "busybox", "sh", "-c", bomb).Ok();
        Assert.Equal("survived\n", roomy.Stdout);
    }

    [Fact]
    public void CpuQuotaThrottles()
    {
        string id = store.Berth("run", "-d", "--cpus", "0.2", "busybox", "sh", "-c", "while :; do :; done").Ok().Stdout.Trim();
        try
        {
            Thread.Sleep(1500);
            string stat = File.ReadAllText(CgroupFile("cpu", id, "cpu.stat"));
            long throttled = long.Parse(stat.Split('\n').First(l => l.StartsWith("nr_throttled", StringComparison.Ordinal)).Split(' ')[1]);
            Assert.True(throttled > 0, stat);
            // 0.2 CPU over ~1.5 s: far less than one CPU's worth of time.
            long usage = long.Parse(File.ReadAllText($"/sys/fs/cgroup/cpuacct/berth/{id}/cpuacct.usage").Trim());
            Assert.InRange(usage, 1, 800_000_000);
        }
        finally { store.Berth("rm", "-f", id).Ok(); }
    }

    [Fact]
    public void AMemoryLimitBelowTheKernelsMinimumIsRefused()
    {
        var r = store.Berth("run", "--rm", "-m", "1m", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("Minimum memory limit", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", store.Berth("ps", "-aq").Ok().Stdout);
    }
}
