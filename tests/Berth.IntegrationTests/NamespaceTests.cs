using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class NamespaceTests
{
    private static string Inode(string link) => new FileInfo(link).LinkTarget!;

    [Fact]
    public void NewPidUtsIpcNetworkAndMountNamespaces()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c",
            "echo pid=$$; hostname; for n in pid uts ipc net mnt cgroup; do echo $n=$(readlink /proc/self/ns/$n); done; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
        b.Spec.Hostname = "inside";
        var lines = s.Run(b).Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("pid=1", lines[0]);
        Assert.Equal("inside", lines[1]);
        foreach (string line in lines.Where(l => l.Contains("=") && !l.StartsWith("pid=1")))
        {
            string[] kv = line.Split('=');
            Assert.NotEqual(Inode($"/proc/self/ns/{kv[0]}"), kv[1]);
        }
        // A new network namespace holds only the loopback device.
        Assert.Equal("lo", lines[^1]);
    }

    [Fact]
    public void UserNamespaceMapsRootToAHostRange()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; grep CapEff /proc/self/status; touch /tmp/owned; stat -c %u /tmp/owned");
        b.Spec.Root!.Readonly = false;
        b.Spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user" });
        b.Spec.Linux.UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }];
        b.Spec.Linux.GidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }];
        // The rootfs must belong to the mapped root for the container to write it.
        foreach (string p in Directory.EnumerateFileSystemEntries(b.Rootfs, "*", SearchOption.AllDirectories).Append(b.Rootfs))
            Berth.Linux.Libc.chown(p, 200000, 200000);
        // A user namespace may not mount a new sysfs without its own network namespace; it has one here.
        var r = s.Run(b).Ok();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();
        Assert.Equal("0 200000 65536", lines[0]);
        Assert.Equal("0 200000 65536", lines[1]);
        Assert.Equal("0", lines[2]);
        Assert.Equal("0", lines[^1]);
        Assert.Equal("200000", StatUid(Path.Combine(b.Rootfs, "tmp", "owned")));
    }

    private static string StatUid(string path)
    {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        string o = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return o;
    }

    [Fact]
    public void JoinsTheNetworkNamespaceOfAnotherContainerByPath()
    {
        using var s = new RuntimeSession();
        using var first = new Bundle("sleep", "1000");
        string a = s.Create(first);
        int pid = s.Pid(a);
        using var second = new Bundle("readlink", "/proc/self/ns/net");
        second.Spec.Linux!.Namespaces!.Single(n => n.Type == "network").Path = $"/proc/{pid}/ns/net";
        var r = s.Run(second).Ok();
        Assert.Equal(Inode($"/proc/{pid}/ns/net"), r.Stdout.Trim());
    }

    [Fact]
    public void TimeNamespaceShiftsBoottimeAndMonotonic()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("cat", "/proc/uptime");
        b.Spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        b.Spec.Linux.TimeOffsets = new() { ["boottime"] = new LinuxTimeOffset { Secs = 864000 }, ["monotonic"] = new LinuxTimeOffset { Secs = 864000 } };
        double inside = double.Parse(s.Run(b).Ok().Stdout.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        double outside = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(inside - outside, 864000 - 60, 864000 + 60);
    }

    [Fact]
    public void CgroupNamespaceShowsTheContainersCgroupAsRoot()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("cat", "/proc/self/cgroup");
        var lines = s.Run(b).Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(":memory:"));
        Assert.All(lines.Where(l => l.Contains(":memory:") || l.Contains(":pids:")), l => Assert.EndsWith(":/", l));
    }
}
