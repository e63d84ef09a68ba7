namespace Berth.IntegrationTests.Containers;

/// <summary>Docker's defaults as the container sees them: capabilities, seccomp, masked and read-only paths, read-only roots.</summary>
[Collection("images")]
public sealed class SecurityTests(EngineStore store) : IClassFixture<EngineStore>
{
    private string Status(params string[] flags) =>
        store.Berth(["run", "--rm", .. flags, "busybox", "grep", "-E", "^(CapEff|CapBnd|Seccomp|NoNewPrivs):", "/proc/self/status"]).Ok().Stdout;

    [Fact]
    public void DockersDefaultCapabilitiesAndSeccomp()
    {
        string s = Status();
        // chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap
        Assert.Contains("CapEff:\t00000000a80425fb", s);
        Assert.Contains("CapBnd:\t00000000a80425fb", s);
        Assert.Contains("Seccomp:\t2", s);
        Assert.Contains("NoNewPrivs:\t0", s);
    }

    [Fact]
    public void CapAddDropPrivilegedAndNoNewPrivileges()
    {
        Assert.Contains("CapEff:\t0000000000000000", Status("--cap-drop", "ALL"));
        Assert.Contains("CapEff:\t00000000a82425fb", Status("--cap-add", "sys_admin"));
        Assert.Contains("CapEff:\t00000000a80425f9", Status("--cap-drop", "CAP_DAC_OVERRIDE"));
        string privileged = Status("--privileged");
        Assert.Contains("Seccomp:\t0", privileged);
        Assert.DoesNotContain("CapEff:\t00000000a80425fb", privileged);
        Assert.Contains("NoNewPrivs:\t1", Status("--security-opt", "no-new-privileges"));
        Assert.Contains("Seccomp:\t0", Status("--security-opt", "seccomp=unconfined"));
        // Options the CLI accepts must also start: seccomp=builtin is the default profile, the others ask for nothing more.
        Assert.Contains("Seccomp:\t2", Status("--security-opt", "seccomp=builtin", "--security-opt", "label=disable", "--security-opt", "apparmor=unconfined"));
        var cgroups = store.Berth("run", "--rm", "--security-opt", "writable-cgroups=true", "busybox", "sh", "-c", "grep ' /sys/fs/cgroup/memory ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1").Ok();
        Assert.Equal("rw\n", cgroups.Stdout);
        var bad = store.Berth("run", "--rm", "--cap-add", "NOT_A_CAP", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
    }

    [Fact]
    public void ASeccompProfileRefusesABlockedSyscall()
    {
        string profile = Path.Combine(store.Dir, "no-mkdir.json");
        File.WriteAllText(profile, """{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}""");
        var blocked = store.Berth("run", "--rm", "--security-opt", "seccomp=" + profile, "busybox", "mkdir", "/tmp/x");
        Assert.NotEqual(0, blocked.ExitCode);
        Assert.Contains("Operation not permitted", blocked.Stderr);
        store.Berth("run", "--rm", "busybox", "mkdir", "/tmp/x").Ok();
        // The default profile: unshare of a user namespace is refused without CAP_SYS_ADMIN.
        var unshare = store.Berth("run", "--rm", "busybox", "unshare", "-U", "true");
        Assert.NotEqual(0, unshare.ExitCode);
    }

    [Fact]
    public void MaskedReadOnlyPathsAndReadOnlyRoot()
    {
        var r = store.Berth("run", "--rm", "busybox", "sh", "-c",
            "cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote || echo refused").Ok();
        Assert.Equal("0\nrefused\n", r.Stdout);
        var ro = store.Berth("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
            "touch /file 2>/dev/null && echo wrote || echo refused; touch /scratch/ok && echo scratch; grep ' /dev/shm ' /proc/mounts | grep -o 'size=[0-9]*k'").Ok();
        Assert.Equal("refused\nscratch\nsize=65536k\n", ro.Stdout);
    }

    [Fact]
    public void EtcFilesAreTheContainersOwn()
    {
        var r = store.Berth("run", "--rm", "--name", "etc-check", "--add-host", "boathouse:10.1.2.3", "busybox", "sh", "-c",
            "cat /etc/hostname; grep boathouse /etc/hosts; grep -c localhost /etc/hosts").Ok();
        var lines = r.Stdout.Split('\n');
        Assert.Matches("^[0-9a-f]{12}$", lines[0]);
        Assert.Equal("10.1.2.3\tboathouse", lines[1]);
    }
}

/// <summary>--userns=auto: the container's root is an unprivileged range of host ids; the image's files still look right inside.</summary>
[Collection("images")]
public sealed class UserNamespaceTests(EngineStore store) : IClassFixture<EngineStore>
{
    [Fact]
    public void AutoGivesEachContainerItsOwnIdRange()
    {
        string a = store.Berth("run", "-d", "--userns", "auto", "busybox", "sleep", "600").Ok().Stdout.Trim();
        string b = store.Berth("run", "-d", "--userns", "auto", "busybox", "sleep", "600").Ok().Stdout.Trim();
        try
        {
            string mapA = File.ReadAllText($"/proc/{store.Inspect(a, "{{.State.Pid}}")}/uid_map").Trim();
            string mapB = File.ReadAllText($"/proc/{store.Inspect(b, "{{.State.Pid}}")}/uid_map").Trim();
            Assert.Matches(@"^0\s+\d+\s+65536$", mapA);
            Assert.NotEqual(mapA, mapB);
            // Inside: root, the image's files owned by root, and the root writable.
            var inside = store.Berth("run", "--rm", "--userns", "auto", "busybox", "sh", "-c",
                "id -u; stat -c %u /bin/busybox; touch /made && stat -c %u /made; cat /proc/self/uid_map | tr -s ' '").Ok().Stdout;
            var lines = inside.Split('\n');
            Assert.Equal(["0", "0", "0"], lines[..3]);
            Assert.DoesNotContain(" 0 0 ", " " + lines[3] + " ");
            // On the host, the process is no root.
            string status = File.ReadAllText($"/proc/{store.Inspect(a, "{{.State.Pid}}")}/status");
            string uid = status.Split('\n').First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];
            Assert.NotEqual("0", uid);
        }
        finally { store.Berth("rm", "-f", a, b).Ok(); }
    }
}
