using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class CgroupLayoutTests
{
    // This machine's kind: v1 controllers mounted one by one, name=systemd, cgroup2 at unified with hugetlb.
    private const string HybridMountinfo = """
        22 1 0:20 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
        30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private static string? Controllers(string path, string text) => path.EndsWith("cgroup.controllers", StringComparison.Ordinal) ? text : null;

    [Fact]
    public void HybridHostHasEachV1ControllerAndTheUnifiedMount()
    {
        var layout = CgroupLayout.Parse(HybridMountinfo, p => Controllers(p, "hugetlb\n"));

        Assert.Equal(CgroupKind.Hybrid, layout.Kind);
        Assert.Equal(["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"], layout.V1.Keys.Order());
        Assert.Equal("/sys/fs/cgroup/memory", layout.V1["memory"].MountPoint);
        Assert.Equal("/", layout.V1["memory"].Root);
        Assert.Equal(8, layout.V1Mounts.Count);
        Assert.Equal("/sys/fs/cgroup/unified", layout.Unified!.MountPoint);
        Assert.Equal(["hugetlb"], layout.UnifiedControllers);
    }

    [Fact]
    public void NamedHierarchiesAreIgnored()
    {
        var layout = CgroupLayout.Parse(HybridMountinfo, _ => null);
        Assert.DoesNotContain(layout.V1Mounts, m => m.MountPoint.EndsWith("systemd", StringComparison.Ordinal));
        Assert.False(layout.V1.ContainsKey("name=systemd"));
    }

    [Fact]
    public void CombinedMountsShareOneMount()
    {
        const string mountinfo = """
            25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,cpu,cpuacct
            26 24 0:23 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:9 - cgroup cgroup rw,net_cls,net_prio
            27 24 0:24 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
            """;
        var layout = CgroupLayout.Parse(mountinfo, _ => null);

        Assert.Equal(CgroupKind.V1, layout.Kind);
        Assert.Same(layout.V1["cpu"], layout.V1["cpuacct"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1["cpuacct"].MountPoint);
        Assert.Equal(["cpu", "cpuacct"], layout.V1["cpu"].Controllers);
        Assert.Equal(3, layout.V1Mounts.Count);
        Assert.Null(layout.Unified);
    }

    [Fact]
    public void PureV2HostReadsControllersOfTheMountRoot()
    {
        const string mountinfo = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        string? asked = null;
        var layout = CgroupLayout.Parse(mountinfo, p => { asked = p; return "cpuset cpu io memory hugetlb pids rdma misc\n"; });

        Assert.Equal(CgroupKind.V2, layout.Kind);
        Assert.Equal("/sys/fs/cgroup/cgroup.controllers", asked);
        Assert.Empty(layout.V1);
        Assert.Equal(["cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"], layout.UnifiedControllers.Order());
    }

    [Fact]
    public void MountRootAndEscapedMountPointsAreKept()
    {
        const string mountinfo = @"40 30 0:31 /docker/abc /sys/fs/cgroup/my\040memory rw - cgroup cgroup rw,memory" + "\n";
        var layout = CgroupLayout.Parse(mountinfo, _ => null);
        var mount = layout.V1["memory"];

        Assert.Equal("/sys/fs/cgroup/my memory", mount.MountPoint);
        Assert.Equal("/docker/abc", mount.Root);
        Assert.Equal("/sys/fs/cgroup/my memory/x", mount.DirectoryOf("/docker/abc/x"));
        Assert.Equal("/sys/fs/cgroup/my memory", mount.DirectoryOf("/docker/abc"));
        Assert.Null(mount.DirectoryOf("/other"));
        Assert.Null(mount.DirectoryOf("/docker/abcdef"));
    }

    [Fact]
    public void OptionalFieldsBeforeTheSeparatorAreSkipped()
    {
        const string mountinfo = "31 30 0:28 / /sys/fs/cgroup/pids rw,relatime shared:5 master:1 - cgroup cgroup rw,pids\n";
        Assert.Equal("/sys/fs/cgroup/pids", CgroupLayout.Parse(mountinfo, _ => null).V1["pids"].MountPoint);
    }

    [Fact]
    public void FirstMountOfAControllerWins()
    {
        const string mountinfo = """
            31 30 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
            90 80 0:28 / /container/sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
            """;
        Assert.Equal("/sys/fs/cgroup/pids", CgroupLayout.Parse(mountinfo, _ => null).V1["pids"].MountPoint);
    }

    [Fact]
    public void NoCgroupMountIsAnError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => CgroupLayout.Parse("22 1 0:20 / /sys rw - sysfs sysfs rw\n", _ => null));
        Assert.Contains("no cgroup filesystem", e.Message);
    }
}
