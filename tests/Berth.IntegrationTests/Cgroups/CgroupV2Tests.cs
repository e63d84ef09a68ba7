using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;
using Xunit.Abstractions;

namespace Berth.IntegrationTests.Cgroups;

/// <summary>The unified hierarchy: the eBPF device filter and the v2 driver. On a hybrid host they run
/// in the cgroup2 mount (which has no controllers enabled there, but cgroup-bpf, freeze and kill work in
/// any cgroup2 hierarchy); on a pure v2 host they also exercise the controllers.</summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupV2Tests(ITestOutputHelper output)
{
    private static readonly CgroupLayout Layout = CgroupLayout.Detect();

    // Opens /dev/null for writing and /dev/zero for reading once told to go, and says what worked.
    private const string DeviceProbe =
        "read go; " +
        "if (echo x > /dev/null) 2>/dev/null; then echo null-ok; else echo null-denied; fi; " +
        "if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi";

    private static string[] Probe(Action<int> placeInCgroup)
    {
        using var child = Child.Start("/bin/sh", "-c", DeviceProbe);
        placeInCgroup(child.Pid);
        child.Process.StandardInput.WriteLine("go");
        child.Process.StandardInput.Close();
        string stdout = child.Process.StandardOutput.ReadToEnd();
        Assert.True(child.Process.WaitForExit(10000));
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static void RemoveCgroup(string dir)
    {
        for (int i = 0; i < 300 && Directory.Exists(dir); i++)
        {
            try { Directory.Delete(dir); }
            catch (IOException) { Thread.Sleep(10); }
        }
        Assert.False(Directory.Exists(dir), $"{dir} could not be removed");
    }

    [RootFact(HostFeatures.Cgroup2)]
    public void DeviceFilterProgramIsEnforcedByTheKernel()
    {
        string dir = Path.Combine(Layout.Unified!.MountPoint, $"{CgroupLeakCheck.TopLevelPrefix}{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(dir); // a cgroup of the test's own, directly below the cgroup2 root
        try
        {
            var onlyNull = new List<LinuxDeviceCgroup>
            {
                new() { Allow = false, Access = "rwm" },
                new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rw" },
            };
            DeviceFilterProgram.Attach(dir, DeviceRule.FromList(onlyNull));
            using (var cgroup = Bpf.OpenDirectory(dir))
                Assert.Single(Bpf.ProgQuery(cgroup, Bpf.BPF_CGROUP_DEVICE));

            var first = Probe(pid => File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            output.WriteLine(string.Join(' ', first));
            Assert.Equal(["null-ok", "zero-denied"], first);

            // Replacing the rules attaches the new program and detaches the old one.
            onlyNull.Add(new() { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "r" });
            DeviceFilterProgram.Attach(dir, DeviceRule.FromList(onlyNull));
            using (var cgroup = Bpf.OpenDirectory(dir))
                Assert.Single(Bpf.ProgQuery(cgroup, Bpf.BPF_CGROUP_DEVICE));

            var second = Probe(pid => File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(["null-ok", "zero-ok"], second);
        }
        finally
        {
            RemoveCgroup(dir);
        }
    }

    /// <summary>The kernel's verifier, not only the unit tests' model of it, accepts what the compiler emits.</summary>
    [RootFact(HostFeatures.Cgroup2)]
    public void KernelVerifierAcceptsTheCompiledPrograms()
    {
        var random = new Random(7);
        string[] types = ["a", "b", "c"];
        string[] accesses = ["r", "w", "m", "rw", "rwm"];
        var lists = new List<List<LinuxDeviceCgroup>> { new(), new() { new() { Allow = true, Type = "a" } } };
        for (int n = 0; n < 40; n++)
        {
            var rules = new List<LinuxDeviceCgroup>();
            for (int i = random.Next(1, 40); i > 0; i--)
            {
                string type = types[random.Next(types.Length)];
                rules.Add(type == "a"
                    ? new() { Allow = random.Next(2) == 0, Type = "a" }
                    : new() { Allow = random.Next(2) == 0, Type = type, Major = random.Next(-1, 300), Minor = random.Next(-1, 300), Access = accesses[random.Next(accesses.Length)] });
            }
            lists.Add(rules);
        }
        foreach (var rules in lists)
        {
            byte[] program = DeviceFilterProgram.CompileBytes(rules);
            using var fd = Bpf.ProgLoad(Bpf.BPF_PROG_TYPE_CGROUP_DEVICE, program, DeviceFilterProgram.License, DeviceFilterProgram.Name, Bpf.BPF_CGROUP_DEVICE);
            Assert.False(fd.IsInvalid);
        }
    }

    [RootFact(HostFeatures.Cgroup2)]
    public void V2DriverLifecycle()
    {
        string path = $"{CgroupPath.BerthRoot}/{CgroupLeakCheck.TestPrefix}{Guid.NewGuid():N}"[..(CgroupPath.BerthRoot.Length + 1 + CgroupLeakCheck.TestPrefix.Length + 12)];
        var m = new CgroupV2Manager(Layout, path);
        Child? child = null;
        try
        {
            m.Create();
            Assert.True(Directory.Exists(m.Directory));
            var available = File.ReadAllText(Path.Combine(m.Directory, "cgroup.controllers")).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            output.WriteLine($"controllers in {m.Directory}: [{string.Join(' ', available)}]");

            var resources = new LinuxResources
            {
                Devices =
                [
                    new() { Allow = false, Access = "rwm" },
                    new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                ],
            };
            if (available.Contains("pids")) resources.Pids = new() { Limit = 10 };
            if (available.Contains("memory")) resources.Memory = new() { Limit = 64 << 20 };
            if (available.Contains("cpu")) resources.Cpu = new() { Quota = 50000, Period = 100000, Shares = 1024 };
            m.Apply(resources);
            if (available.Contains("pids")) Assert.Equal("10", File.ReadAllText(Path.Combine(m.Directory, "pids.max")).Trim());
            if (available.Contains("memory")) Assert.Equal($"{64 << 20}", File.ReadAllText(Path.Combine(m.Directory, "memory.max")).Trim());
            if (available.Contains("cpu"))
            {
                Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(m.Directory, "cpu.max")).Trim());
                Assert.Equal("39", File.ReadAllText(Path.Combine(m.Directory, "cpu.weight")).Trim());
                m.Update(new LinuxResources { Cpu = new() { Period = 200000 } }); // keeps the quota
                Assert.Equal("50000 200000", File.ReadAllText(Path.Combine(m.Directory, "cpu.max")).Trim());
            }
            if (!available.Contains("pids"))
            {
                var e = Assert.Throws<SpecException>(() => m.Update(new LinuxResources { Pids = new() { Limit = 10 } }));
                output.WriteLine(e.Message);
                Assert.StartsWith("linux.resources.pids.limit: the pids controller is not", e.Message);
            }

            var lines = Probe(pid => m.AddProcess(pid));
            Assert.Equal(["null-ok", "zero-denied"], lines);

            child = Child.Start("/bin/sleep", "30");
            m.AddProcess(child.Pid);
            Assert.Equal(path, CgroupPaths.Current(child.Pid).Unified);
            Assert.Equal([child.Pid], m.GetPids());

            m.Freeze();
            Assert.True(m.IsFrozen);
            m.Thaw();
            Assert.False(m.IsFrozen);

            var stats = m.Stats();
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(stats, CgroupStatsJsonContext.Default.CgroupStats));
            Assert.True(stats.Cpu.Usage.Total > 0, "cpu.stat usage_usec is 0");
            if (available.Contains("pids")) Assert.Equal(1UL, stats.Pids.Current);

            m.KillAll(Libc.SIGKILL);
            Assert.True(child.Process.WaitForExit(5000), "the child survived KillAll");
            m.Destroy();
            Assert.False(Directory.Exists(m.Directory));
        }
        finally
        {
            try
            {
                if (Directory.Exists(m.Directory))
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
        }
    }
}
