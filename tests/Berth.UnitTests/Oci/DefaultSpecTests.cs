using Berth.Oci;

namespace Berth.UnitTests.Oci;

public sealed class DefaultSpecTests
{
    private static bool AnyHost(string path) => path is not (SpecValidator.AppArmorPath or SpecValidator.SelinuxPath);

    private static byte[] Json(Spec spec) => OciJson.Serialize(spec, OciJsonContext.Default.Spec);

    [Fact]
    public void RoundTripsThroughOciJsonAndValidates()
    {
        Spec spec = DefaultSpec.Create(rootless: false);
        byte[] first = Json(spec);
        Spec parsed = OciJson.ParseSpec(first);
        Assert.Equal(first, Json(parsed));
        SpecValidator.Validate(parsed, "/bundle", AnyHost);
    }

    [Fact]
    public void RootlessRoundTripsThroughOciJsonAndValidates()
    {
        Spec spec = DefaultSpec.CreateRootless(1000, 1001);
        byte[] first = Json(spec);
        Spec parsed = OciJson.ParseSpec(first);
        Assert.Equal(first, Json(parsed));
        SpecValidator.Validate(parsed, "/bundle", AnyHost);
    }

    [Fact]
    public void ProcessMatchesRuncSpec()
    {
        Process p = DefaultSpec.Create().Process!;
        Assert.True(p.Terminal);
        Assert.Equal(["sh"], p.Args!);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"], p.Env!);
        Assert.Equal("/", p.Cwd);
        Assert.Equal((0u, 0u), (p.User.Uid, p.User.Gid));
        Assert.True(p.NoNewPrivileges);
        string[] caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
        Assert.Equal(caps, p.Capabilities!.Bounding!);
        Assert.Equal(caps, p.Capabilities.Effective!);
        Assert.Equal(caps, p.Capabilities.Permitted!);
        Assert.Null(p.Capabilities.Inheritable);
        Assert.Null(p.Capabilities.Ambient);
        var rlimit = Assert.Single(p.Rlimits!);
        Assert.Equal(("RLIMIT_NOFILE", 1024UL, 1024UL), (rlimit.Type, rlimit.Soft, rlimit.Hard));
    }

    [Fact]
    public void RootHostnameAndMountsMatchRuncSpec()
    {
        Spec spec = DefaultSpec.Create();
        Assert.Equal(SpecVersion.Current, spec.OciVersion);
        Assert.Equal(("rootfs", true), (spec.Root!.Path, spec.Root.Readonly));
        Assert.Equal("berth", spec.Hostname);
        Assert.Equal(
            [
                "/proc proc proc ",
                "/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k",
                "/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5",
                "/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,size=65536k",
                "/dev/mqueue mqueue mqueue nosuid,noexec,nodev",
                "/sys sysfs sysfs nosuid,noexec,nodev,ro",
                "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev,relatime,ro",
            ],
            spec.Mounts!.Select(Describe));
    }

    [Fact]
    public void LinuxSectionMatchesRuncSpec()
    {
        var linux = DefaultSpec.Create().Linux!;
        Assert.Equal(["pid", "network", "ipc", "uts", "mount", "cgroup"], linux.Namespaces!.Select(n => n.Type));
        Assert.All(linux.Namespaces!, n => Assert.Null(n.Path));
        Assert.Equal(
            ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
             "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            linux.MaskedPaths!);
        Assert.Equal(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"], linux.ReadonlyPaths!);
        var deny = Assert.Single(linux.Resources!.Devices!);
        Assert.False(deny.Allow);
        Assert.Equal("rwm", deny.Access);
        Assert.Null(deny.Type);
        Assert.Null(linux.UidMappings);
    }

    [Fact]
    public void RootlessMapsRootToTheGivenIdsInANewUserNamespace()
    {
        var linux = DefaultSpec.CreateRootless(1000, 1001).Linux!;
        Assert.Equal(["pid", "ipc", "uts", "mount", "cgroup", "user"], linux.Namespaces!.Select(n => n.Type));
        var uid = Assert.Single(linux.UidMappings!);
        var gid = Assert.Single(linux.GidMappings!);
        Assert.Equal((0u, 1000u, 1u), (uid.ContainerId, uid.HostId, uid.Size));
        Assert.Equal((0u, 1001u, 1u), (gid.ContainerId, gid.HostId, gid.Size));
        Assert.Null(linux.Resources);
    }

    [Fact]
    public void RootlessBindsSysDropsCgroupMountAndIdOptions()
    {
        Spec spec = DefaultSpec.CreateRootless(1000, 1000);
        Assert.Equal(
            [
                "/proc proc proc ",
                "/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k",
                "/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620",
                "/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,size=65536k",
                "/dev/mqueue mqueue mqueue nosuid,noexec,nodev",
                "/sys none /sys rbind,nosuid,noexec,nodev,ro",
            ],
            spec.Mounts!.Select(Describe));
    }

    [Fact]
    public void RootlessFlagUsesTheCallersIds()
    {
        Spec spec = DefaultSpec.Create(rootless: true);
        Assert.Contains(spec.Linux!.Namespaces!, n => n.Type == "user");
        Assert.DoesNotContain(spec.Linux.Namespaces!, n => n.Type == "network");
        string status = File.ReadAllText("/proc/self/status");
        string uidLine = status.Split('\n').First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        uint euid = uint.Parse(uidLine.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2]);
        Assert.Equal(euid, Assert.Single(spec.Linux.UidMappings!).HostId);
    }

    [Fact]
    public void EachCallReturnsAFreshDocument()
    {
        Spec a = DefaultSpec.Create();
        a.Process!.Capabilities!.Bounding!.Add("CAP_SYS_ADMIN");
        a.Mounts![0].Destination = "/changed";
        Spec b = DefaultSpec.Create();
        Assert.Equal(3, b.Process!.Capabilities!.Bounding!.Count);
        Assert.Equal("/proc", b.Mounts![0].Destination);
    }

    [Fact]
    public void JsonUsesSpecPropertyNamesAndOmitsUnsetFields()
    {
        string json = System.Text.Encoding.UTF8.GetString(Json(DefaultSpec.Create()));
        Assert.Contains("\"ociVersion\": \"1.2.0\"", json);
        Assert.Contains("\"noNewPrivileges\": true", json);
        Assert.Contains("\"maskedPaths\"", json);
        Assert.DoesNotContain("commandLine", json);
        Assert.DoesNotContain("uidMappings", json);
    }

    private static string Describe(Mount m) => $"{m.Destination} {m.Type} {m.Source} {string.Join(',', m.Options ?? [])}";
}
