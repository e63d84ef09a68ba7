using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;
using Xunit.Abstractions;

namespace Berth.IntegrationTests.Cgroups;

/// <summary>The cgroupfs driver against this host's real hierarchies, as root. Every test makes its
/// cgroups under /berth/berth-it-* (or /berth-test-*) and removes them; <see cref="CgroupLeakCheck"/>
/// checks that at the end.</summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupManagerTests(ITestOutputHelper output)
{
    private static readonly CgroupLayout Layout = CgroupLayout.Detect();

    private static string NewPath() => $"{CgroupPath.BerthRoot}/{CgroupLeakCheck.TestPrefix}{Guid.NewGuid():N}"[..(CgroupPath.BerthRoot.Length + 1 + CgroupLeakCheck.TestPrefix.Length + 12)];

    private static string Read(ICgroupManager m, string controller, string file)
        => File.ReadAllText(Path.Combine(m.Directories[controller], file)).Trim();

    private static bool HasV1(string controller) => Layout.V1.ContainsKey(controller);

    /// <summary>Thaws, kills and removes whatever a test left, and checks nothing of it remains.</summary>
    private static void CleanUp(ICgroupManager m, Child? child = null)
    {
        try
        {
            if (m.Directories.Values.Any(Directory.Exists))
            {
                if (m.IsFrozen) m.Thaw();
                m.KillAll(Libc.SIGKILL);
            }
        }
        finally
        {
            child?.Process.WaitForExit(5000);
            child?.Dispose();
            m.Destroy();
        }
        Assert.All(m.Directories.Values, d => Assert.False(Directory.Exists(d), $"{d} still exists"));
    }

    [RootFact]
    public void DetectsTheMountedHierarchies()
    {
        output.WriteLine(Layout.ToString());
        foreach (var mount in Layout.V1Mounts)
            Assert.True(File.Exists(Path.Combine(mount.MountPoint, "cgroup.procs")), $"{mount.MountPoint} is not a cgroup v1 hierarchy");
        if (Layout.Unified is { } unified)
            Assert.True(File.Exists(Path.Combine(unified.MountPoint, "cgroup.controllers")), $"{unified.MountPoint} is not cgroup2");
        var self = CgroupPaths.Current(Environment.ProcessId);
        foreach (var controller in Layout.V1.Keys)
            Assert.True(self.V1.ContainsKey(controller), $"/proc/self/cgroup has no {controller} line");
        Assert.Equal(Layout.Unified is not null, self.Unified is not null);
    }

    [RootFact(HostFeatures.CgroupV1)]
    public void FullLifecycle()
    {
        var m = CgroupManager.For(Layout, NewPath());
        Child? child = null;
        try
        {
            m.Create();
            Assert.All(m.Directories.Values, d => Assert.True(Directory.Exists(d), $"{d} was not created"));
            if (HasV1("cpuset"))
            {
                Assert.NotEmpty(Read(m, "cpuset", "cpuset.cpus"));
                Assert.NotEmpty(Read(m, "cpuset", "cpuset.mems"));
                Assert.NotEmpty(File.ReadAllText(Path.Combine(Layout.V1["cpuset"].MountPoint, "berth", "cpuset.cpus")).Trim());
            }

            bool swap = HasV1("memory") && File.Exists(Path.Combine(m.Directories["memory"], "memory.memsw.limit_in_bytes"));
            m.Apply(new LinuxResources
            {
                Memory = new() { Limit = 64 << 20, Swap = swap ? 128 << 20 : null, Reservation = 32 << 20, Kernel = 1 << 20 },
                Cpu = new() { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0", Mems = "0" },
                Pids = new() { Limit = 20 },
                Devices =
                [
                    new() { Allow = false, Access = "rwm" },
                    new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                    new() { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "r" },
                ],
            });
            Assert.Contains(m.Notes, n => n.StartsWith("linux.resources.memory.kernel", StringComparison.Ordinal));

            // The shell joins first and then execs sleep, so the exec's memory and CPU are charged to the cgroup.
            child = Child.Start("/bin/sh", "-c", "read go; exec sleep 30");
            m.AddProcess(child.Pid);
            child.Process.StandardInput.WriteLine("go");
            child.Process.StandardInput.Flush();
            child.WaitForComm("sleep");

            if (HasV1("memory"))
            {
                Assert.Equal($"{64 << 20}", Read(m, "memory", "memory.limit_in_bytes"));
                Assert.Equal($"{32 << 20}", Read(m, "memory", "memory.soft_limit_in_bytes"));
                if (swap) Assert.Equal($"{128 << 20}", Read(m, "memory", "memory.memsw.limit_in_bytes"));
            }
            if (HasV1("cpu"))
            {
                Assert.Equal("512", Read(m, "cpu", "cpu.shares"));
                Assert.Equal("50000", Read(m, "cpu", "cpu.cfs_quota_us"));
                Assert.Equal("100000", Read(m, "cpu", "cpu.cfs_period_us"));
            }
            if (HasV1("pids")) Assert.Equal("20", Read(m, "pids", "pids.max"));
            if (HasV1("cpuset")) Assert.Equal("0", Read(m, "cpuset", "cpuset.cpus"));
            if (HasV1("devices")) Assert.Equal("c 1:3 rwm\nc 1:5 r", Read(m, "devices", "devices.list"));

            var paths = CgroupPaths.Current(child.Pid);
            foreach (var controller in Layout.V1.Keys) Assert.Equal(m.Path, paths.V1[controller]);
            if (Layout.Kind == CgroupKind.Hybrid) Assert.Equal(m.Path, paths.Unified);
            Assert.Equal([child.Pid], m.GetPids());

            // Raise memory above the old memory+swap limit: memsw must go first (the driver retries).
            m.Update(new LinuxResources
            {
                Memory = new() { Limit = 256 << 20, Swap = swap ? 512 << 20 : null },
                Cpu = new() { Quota = 20000 },
                Pids = new() { Limit = 50 },
            });
            if (HasV1("memory"))
            {
                Assert.Equal($"{256 << 20}", Read(m, "memory", "memory.limit_in_bytes"));
                if (swap) Assert.Equal($"{512 << 20}", Read(m, "memory", "memory.memsw.limit_in_bytes"));
            }
            if (HasV1("cpu"))
            {
                Assert.Equal("20000", Read(m, "cpu", "cpu.cfs_quota_us"));
                Assert.Equal("100000", Read(m, "cpu", "cpu.cfs_period_us")); // untouched
                Assert.Equal("512", Read(m, "cpu", "cpu.shares"));              // untouched
            }
            if (HasV1("pids")) Assert.Equal("50", Read(m, "pids", "pids.max"));

            // And lower both again: memory must go first this time.
            m.Update(new LinuxResources { Memory = new() { Limit = 48 << 20, Swap = swap ? 96 << 20 : null } });
            if (HasV1("memory"))
            {
                Assert.Equal($"{48 << 20}", Read(m, "memory", "memory.limit_in_bytes"));
                if (swap) Assert.Equal($"{96 << 20}", Read(m, "memory", "memory.memsw.limit_in_bytes"));
            }

            if (HasV1("freezer"))
            {
                m.Freeze();
                Assert.True(m.IsFrozen);
                Assert.Equal("FROZEN", Read(m, "freezer", "freezer.state"));
                Assert.Equal('D', child.State);
                m.Thaw();
                Assert.False(m.IsFrozen);
                Assert.Equal("THAWED", Read(m, "freezer", "freezer.state"));
                Assert.NotEqual('D', child.State);
            }

            var stats = m.Stats();
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(stats, CgroupStatsJsonContext.Default.CgroupStats));
            if (HasV1("pids"))
            {
                Assert.Equal(1UL, stats.Pids.Current);
                Assert.Equal(50UL, stats.Pids.Limit);
            }
            if (HasV1("memory"))
            {
                Assert.InRange(stats.Memory.Usage.Usage, 1UL, 48UL << 20);
                Assert.Equal(48UL << 20, stats.Memory.Usage.Limit);
                Assert.NotNull(stats.Memory.Raw);
                Assert.True(stats.Memory.Raw!.ContainsKey("rss") || stats.Memory.Raw.ContainsKey("anon"));
            }
            if (HasV1("cpuacct"))
            {
                Assert.True(stats.Cpu.Usage.Total > 0, "sleep's exec took no CPU time?");
                Assert.Equal(Environment.ProcessorCount, stats.Cpu.Usage.Percpu!.Count);
            }
            Assert.Equal(0UL, m.OomKilledCount());

            m.KillAll(Libc.SIGKILL);
            Assert.True(child.Process.WaitForExit(5000), "the child survived KillAll");
            m.Destroy();
            Assert.All(m.Directories.Values, d => Assert.False(Directory.Exists(d), $"{d} still exists after Destroy"));
        }
        finally
        {
            CleanUp(m, child);
        }
    }

    [RootFact(HostFeatures.BlkioWeight)]
    public void BlockIoWeight()
    {
        var m = CgroupManager.For(Layout, NewPath());
        try
        {
            m.Create();
            m.Apply(new LinuxResources { BlockIo = new() { Weight = 500 } });
            string dir = m.Directories["blkio"];
            string file = File.Exists(Path.Combine(dir, "blkio.weight")) ? "blkio.weight" : "blkio.bfq.weight";
            output.WriteLine($"weight file: {file}");
            Assert.Contains("500", File.ReadAllText(Path.Combine(dir, file)));
        }
        finally
        {
            CleanUp(m);
        }
    }

    [RootFact(HostFeatures.CpusetV1)]
    public void KernelRefusalNamesFieldFileAndValue()
    {
        var m = CgroupManager.For(Layout, NewPath());
        try
        {
            m.Create();
            string cpus = (Environment.ProcessorCount + 5).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var e = Assert.Throws<SyscallException>(() => m.Apply(new LinuxResources { Cpu = new() { Cpus = cpus } }));
            output.WriteLine(e.Message);
            Assert.True(e.Errno is Errno.EINVAL or 34, $"errno {e.Errno}"); // EINVAL or ERANGE, by kernel version
            Assert.StartsWith("linux.resources.cpu.cpus: write", e.Message);
            Assert.Contains($"\"{cpus}\"", e.Message);
            Assert.Contains(Path.Combine(m.Directories["cpuset"], "cpuset.cpus"), e.Message);
            Assert.EndsWith(System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.Errno), e.Message);
        }
        finally
        {
            CleanUp(m);
        }
    }

    [RootFact(HostFeatures.HugetlbNotDelegated)]
    public void HugetlbOnThisHybridHostFailsClearly()
    {
        var m = CgroupManager.For(Layout, NewPath());
        try
        {
            m.Create();
            var e = Assert.Throws<SpecException>(() => m.Apply(new LinuxResources { HugepageLimits = [new() { PageSize = "2MB", Limit = 2 << 20 }] }));
            output.WriteLine(e.Message);
            Assert.StartsWith("linux.resources.hugepageLimits[0]: the hugetlb controller is not enabled in the parent cgroup", e.Message);
            Assert.Contains(Layout.Unified!.MountPoint, e.Message);
            Assert.Contains("Berth does not change cgroups it did not create", e.Message);
            // …and Berth did not enable it on its own either.
            Assert.DoesNotContain("hugetlb", File.ReadAllText(Path.Combine(Layout.Unified.MountPoint, "cgroup.subtree_control")));
        }
        finally
        {
            CleanUp(m);
        }
    }

    [RootFact(HostFeatures.MemoryV1)]
    public void OomKillIsCounted()
    {
        var m = CgroupManager.For(Layout, NewPath());
        Child? child = null;
        try
        {
            m.Create();
            bool swap = File.Exists(Path.Combine(m.Directories["memory"], "memory.memsw.limit_in_bytes"));
            m.Apply(new LinuxResources { Memory = new() { Limit = 16 << 20, Swap = swap ? 16 << 20 : null } });
            // The shell waits for a line so it is in the cgroup before dd allocates its 64 MiB buffer.
            child = Child.Start("/bin/sh", "-c", "read go; exec dd if=/dev/zero of=/dev/null bs=64M count=1");
            m.AddProcess(child.Pid);
            child.Process.StandardInput.WriteLine("go");
            child.Process.StandardInput.Close();
            Assert.True(child.Process.WaitForExit(20000), "dd did not finish");
            output.WriteLine($"exit code {child.Process.ExitCode}");
            Assert.Equal(128 + Libc.SIGKILL, child.Process.ExitCode);
            Assert.Equal(1UL, m.OomKilledCount());
        }
        finally
        {
            CleanUp(m, child);
        }
    }

    [RootFact]
    public void DestroyRemovesTheLeafAndKeepsTheBerthRoot()
    {
        var a = CgroupManager.For(Layout, NewPath());
        var b = CgroupManager.For(Layout, NewPath());
        try
        {
            a.Create();
            b.Create();
            a.Destroy();
            Assert.All(a.Directories.Values, d => Assert.False(Directory.Exists(d)));
            Assert.All(b.Directories.Values, d => Assert.True(Directory.Exists(d), $"{d} was removed with its sibling"));
            b.Destroy();
            Assert.All(b.Directories.Values, d => Assert.False(Directory.Exists(d)));
            // /berth is the engine's root, kept between containers (making it again costs milliseconds).
            foreach (var parent in b.Directories.Values.Select(Path.GetDirectoryName).Distinct())
                Assert.True(Directory.Exists(parent), $"{parent} was removed");
        }
        finally
        {
            CleanUp(a);
            CleanUp(b);
        }
    }

    [RootFact(HostFeatures.CgroupV1)]
    public void AbsolutePathOutsideBerthIsCreatedAndRemovedWithItsParent()
    {
        string top = $"/{CgroupLeakCheck.TopLevelPrefix}{Guid.NewGuid():N}"[..24];
        var m = CgroupManager.For(Layout, CgroupPath.Resolve($"{top}/c1", "ignored"));
        try
        {
            Assert.Equal($"{top}/c1", m.Path);
            m.Create();
            Assert.All(m.Directories.Values, d => Assert.True(Directory.Exists(d)));
            m.Destroy();
            foreach (var mount in Layout.V1Mounts)
                Assert.False(Directory.Exists(mount.MountPoint + top), $"{mount.MountPoint + top} was left behind");
        }
        finally
        {
            CleanUp(m);
            foreach (var mount in Layout.V1Mounts) if (Directory.Exists(mount.MountPoint + top)) Directory.Delete(mount.MountPoint + top);
        }
    }

    [RootFact(HostFeatures.CgroupV1)]
    public void ExistingCgroupOutsideBerthIsNotAdopted()
    {
        string top = $"/{CgroupLeakCheck.TopLevelPrefix}{Guid.NewGuid():N}"[..24];
        string foreign = Layout.V1Mounts[0].MountPoint + top;
        Directory.CreateDirectory(foreign); // a cgroup that is not Berth's (the test's own)
        try
        {
            var m = CgroupManager.For(Layout, top);
            var e = Assert.Throws<SpecException>(m.Create);
            output.WriteLine(e.Message);
            Assert.Contains("already exists", e.Message);
            // The usual clean-up after a failed create must not remove what Berth did not make.
            m.Destroy();
            Assert.True(Directory.Exists(foreign), "Destroy removed a cgroup Berth did not create");
            // Nor may a manager re-opened without ownership.
            CgroupManager.For(Layout, top, ownsLeaf: false).Destroy();
            Assert.True(Directory.Exists(foreign), "Destroy removed a cgroup Berth did not create");
        }
        finally
        {
            if (Directory.Exists(foreign)) Directory.Delete(foreign);
        }
    }
}
