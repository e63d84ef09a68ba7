using System.Text.Json;
using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class ResourceTests
{
    private static string Cg(string controller, string id, string file) => File.ReadAllText($"/sys/fs/cgroup/{controller}/berth/{id}/{file}").Trim();

    [Fact]
    public void LimitsAreWrittenToTheContainersCgroup()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Linux!.Resources = new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 64 << 20, Reservation = 32 << 20 },
            Cpu = new LinuxCpu { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0" },
            Pids = new LinuxPids { Limit = 42 },
        };
        string id = s.Create(b);
        Assert.Equal((64 << 20).ToString(), Cg("memory", id, "memory.limit_in_bytes"));
        Assert.Equal((32 << 20).ToString(), Cg("memory", id, "memory.soft_limit_in_bytes"));
        Assert.Equal("512", Cg("cpu", id, "cpu.shares"));
        Assert.Equal("50000", Cg("cpu", id, "cpu.cfs_quota_us"));
        Assert.Equal("0", Cg("cpuset", id, "cpuset.cpus"));
        Assert.Equal("42", Cg("pids", id, "pids.max"));
        Assert.Contains(s.Pid(id).ToString(), Cg("pids", id, "cgroup.procs").Split('\n'));
        Assert.Contains("c 1:3 rwm", Cg("devices", id, "devices.list"));
        Assert.DoesNotContain("a *:* rwm", Cg("devices", id, "devices.list"));
    }

    [Fact]
    public void TheDeviceCgroupRefusesDevicesNotAllowed()
    {
        using var s = new RuntimeSession();
        // mknod is allowed for any node (as runc does), but /dev/mem (1:1) is not among the allowed devices.
        using var b = new Bundle("sh", "-c", "mknod /tmp/mem c 1 1 && (head -c1 /tmp/mem > /dev/null 2>&1 || echo denied); head -c1 /dev/zero | wc -c");
        b.Spec.Root!.Readonly = false;
        var caps = b.Spec.Process!.Capabilities!;
        foreach (var set in new[] { caps.Bounding!, caps.Effective!, caps.Permitted! }) set.Add("CAP_MKNOD");
        var o = s.Run(b).Ok().Stdout;
        Assert.Equal("denied\n1\n", o);
    }

    [Fact]
    public void AProcessOverItsMemoryLimitIsOomKilled()
    {
        using var s = new RuntimeSession();
        // tail keeps a line in memory, and /dev/zero has no newline: it grows until the OOM killer comes.
        using var b = new Bundle("sh", "-c", "head -c 200m /dev/zero | tail");
        b.Spec.Linux!.Resources = new LinuxResources { Memory = new LinuxMemory { Limit = 16 << 20, Swap = 16 << 20 } };
        Assert.Equal(137, s.Run(b).ExitCode);
    }

    [Fact]
    public void ThePidsLimitStopsAForkBomb()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Linux!.Resources = new LinuxResources { Pids = new LinuxPids { Limit = 10 } };
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        // A burst of 40 forks: the kernel refuses those past the limit.
        s.Runtime("exec", id, "sh", "-c", "for i in $(seq 1 40); do sleep 30 & done 2>/dev/null; true");
        Assert.InRange(int.Parse(Cg("pids", id, "pids.current")), 2, 10);
        Assert.True(long.Parse(Cg("pids", id, "pids.events").Split(' ')[1]) > 0, "no fork was refused");
    }

    [Fact]
    public void UpdateChangesTheLimitsOfARunningContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Linux!.Resources = new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20 }, Pids = new LinuxPids { Limit = 50 } };
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        s.Runtime("update", "--memory", "128m", "--pids-limit", "77", "--cpu-quota", "20000", "--cpu-period", "100000", id).Ok();
        Assert.Equal((128 << 20).ToString(), Cg("memory", id, "memory.limit_in_bytes"));
        Assert.Equal("77", Cg("pids", id, "pids.max"));
        Assert.Equal("20000", Cg("cpu", id, "cpu.cfs_quota_us"));
        s.RuntimeWithInput("""{"pids":{"limit":99}}""", "update", "--resources", "-", id).Ok();
        Assert.Equal("99", Cg("pids", id, "pids.max"));
        var bad = s.Runtime("update", "--memory", "lots", id);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--memory", bad.Stderr);
    }

    [Fact]
    public void PauseAndResumeFreezeTheContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        s.Runtime("pause", id).Ok();
        Assert.Equal("paused", s.Status(id));
        Assert.Equal("FROZEN", Cg("freezer", id, "freezer.state"));
        Assert.Equal(1, s.Runtime("pause", id).ExitCode);
        s.Runtime("resume", id).Ok();
        Assert.Equal("running", s.Status(id));
        Assert.Equal("THAWED", Cg("freezer", id, "freezer.state"));
    }

    [Fact]
    public void EventsStatsReportsUsage()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        b.Spec.Linux!.Resources = new LinuxResources { Pids = new LinuxPids { Limit = 20 }, Memory = new LinuxMemory { Limit = 64 << 20 } };
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var ev = JsonDocument.Parse(s.Runtime("events", "--stats", id).Ok().Stdout).RootElement;
        Assert.Equal("stats", ev.GetProperty("type").GetString());
        Assert.Equal(id, ev.GetProperty("id").GetString());
        var data = ev.GetProperty("data");
        Assert.Equal(1, data.GetProperty("pids").GetProperty("current").GetInt32());
        Assert.Equal(20, data.GetProperty("pids").GetProperty("limit").GetInt32());
        Assert.True(data.GetProperty("memory").GetProperty("usage").GetProperty("usage").GetInt64() > 0);
        Assert.Equal(64L << 20, data.GetProperty("memory").GetProperty("usage").GetProperty("limit").GetInt64());
    }

    [Fact]
    public async Task EventsReportAnOomKillAndEndWithTheContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "sleep 1; head -c 200m /dev/zero | tail; sleep 1000");
        b.Spec.Linux!.Resources = new LinuxResources { Memory = new LinuxMemory { Limit = 16 << 20, Swap = 16 << 20 } };
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var events = Task.Run(() => s.Runtime("events", "--interval", "200ms", id));
        LifecycleTests.WaitFor(() => OomKills(id) >= 1);
        await Task.Delay(600);
        s.Runtime("kill", id, "KILL"); // the OOM killer may have chosen the container's init already
        var r = await events;
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, e => e.GetProperty("type").GetString() == "stats");
        Assert.Contains(lines, e => e.GetProperty("type").GetString() == "oom");
    }

    private static long OomKills(string id)
        => long.Parse(Cg("memory", id, "memory.oom_control").Split('\n').Single(l => l.StartsWith("oom_kill ", StringComparison.Ordinal))[9..]);
}
