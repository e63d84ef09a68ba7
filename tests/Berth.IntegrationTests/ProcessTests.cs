using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class ProcessTests
{
    private static Dictionary<string, string> Status(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..].Trim());

    [Fact]
    public void UserGroupsCwdEnvAndUmaskApply()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "id -u; id -g; id -G; pwd; echo $GREETING; umask");
        b.Spec.Process!.User = new User { Uid = 1000, Gid = 1001, AdditionalGids = [5, 7], Umask = 0b000_010_111 /* 027 */ };
        b.Spec.Process.Cwd = "/tmp";
        b.Spec.Process.Env = ["PATH=/bin", "GREETING=hi there"];
        var lines = s.Run(b).Ok().Stdout.Split('\n');
        Assert.Equal(["1000", "1001", "1001 5 7", "/tmp", "hi there", "0027"], lines[..6]);
    }

    [Fact]
    public void CapabilitySetsAndNoNewPrivilegesAreThoseOfTheConfig()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("cat", "/proc/self/status");
        b.Spec.Process!.Capabilities = new LinuxCapabilities
        {
            Bounding = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
            Effective = ["CAP_KILL", "CAP_CHOWN"],
            Permitted = ["CAP_KILL", "CAP_CHOWN"],
            Inheritable = ["CAP_KILL"],
            Ambient = ["CAP_KILL"],
        };
        b.Spec.Process.NoNewPrivileges = true;
        var st = Status(s.Run(b).Ok().Stdout);
        Assert.Equal(0x421UL, Convert.ToUInt64(st["CapBnd"], 16)); // CHOWN(0) KILL(5) NET_BIND_SERVICE(10)
        Assert.Equal(0x21UL, Convert.ToUInt64(st["CapEff"], 16));
        Assert.Equal(0x21UL, Convert.ToUInt64(st["CapPrm"], 16));
        Assert.Equal(0x20UL, Convert.ToUInt64(st["CapInh"], 16));
        Assert.Equal(0x20UL, Convert.ToUInt64(st["CapAmb"], 16));
        Assert.Equal("1", st["NoNewPrivs"]);
    }

    [Fact]
    public void NonRootUserKeepsAmbientCapabilities()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("cat", "/proc/self/status");
        b.Spec.Process!.User = new User { Uid = 1000, Gid = 1000 };
        b.Spec.Process.Capabilities = new LinuxCapabilities
        {
            Bounding = ["CAP_NET_BIND_SERVICE"], Effective = ["CAP_NET_BIND_SERVICE"], Permitted = ["CAP_NET_BIND_SERVICE"],
            Inheritable = ["CAP_NET_BIND_SERVICE"], Ambient = ["CAP_NET_BIND_SERVICE"],
        };
        var st = Status(s.Run(b).Ok().Stdout);
        Assert.Equal(0x400UL, Convert.ToUInt64(st["CapEff"], 16));
        Assert.StartsWith("1000", st["Uid"]);
    }

    [Fact]
    public void RlimitsAndOomScoreAdjAreSet()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj");
        b.Spec.Process!.Rlimits = [new PosixRlimit { Type = "RLIMIT_NOFILE", Soft = 321, Hard = 654 }];
        b.Spec.Process.OomScoreAdj = 123;
        Assert.Equal("321\n654\n123\n", s.Run(b).Ok().Stdout);
    }

    [Fact]
    public void ArgsZeroIsFoundOnTheContainersPath()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("echo", "found");
        b.Spec.Process!.Env = ["PATH=/nowhere:/bin"];
        Assert.Equal("found\n", s.Run(b).Ok().Stdout);
    }

    [Fact]
    public void SysctlAndDomainnameAreSetInTheContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname");
        b.Spec.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1" };
        b.Spec.Linux.ReadonlyPaths = [];
        b.Spec.Domainname = "example.test";
        Assert.Equal("1\nexample.test\n", s.Run(b).Ok().Stdout);
    }

    [Fact]
    public void SchedulerIoPriorityAffinityAndPersonalityApply()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "grep -E '^(policy|prio)' /proc/self/sched | tr -s ' '; grep Cpus_allowed_list /proc/self/status; uname -m");
        b.Spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_BATCH", Nice = 5 };
        b.Spec.Process.IoPriority = new LinuxIoPriority { Class = "IOPRIO_CLASS_IDLE", Priority = 0 };
        b.Spec.Process.ExecCpuAffinity = new CpuAffinity { Initial = "0", Final = "1" };
        b.Spec.Linux!.Personality = new LinuxPersonality { Domain = "LINUX32" };
        var o = s.Run(b).Ok().Stdout;
        Assert.Contains("policy : 3", o);
        Assert.Contains("prio : 125", o); // 120 + nice 5
        Assert.Contains("Cpus_allowed_list:\t1", o);
        Assert.Contains("i686", o);
    }

    [Fact]
    public void AnUnknownSchedulerPolicyIsRefused()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_FASTEST" };
        var r = s.Run(b);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("scheduler.policy", r.Stderr);
    }

    [Fact]
    public void OnlyStdioAndPreservedFdsReachTheContainer()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '");
        b.Write();
        string outFile = Path.Combine(s.Root, "out");
        // fd 3 is preserved, fd 4 is merely inherited by the runtime and must not reach the container.
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string a in (string[])["-c", "exec \"$0\" runtime --root \"$1\" run --preserve-fds 1 --bundle \"$2\" \"$3\" 3</etc/hostname 4</etc/hostname >\"$4\" 2>&1",
                     BerthBinary.PathToBinary, s.Root, b.Dir, s.NewId(), outFile])
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
        // ls itself opens one more fd (the directory it lists) above the preserved one.
        Assert.StartsWith("0 1 2 3 ", File.ReadAllText(outFile));
        Assert.DoesNotContain(" 5 ", " " + File.ReadAllText(outFile));
    }

    [Fact]
    public void AnUnsupportedMountOptionIsRefusedBeforeAnythingStarts()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Mounts!.Add(new Mount { Destination = "/x", Type = "tmpfs", Source = "tmpfs", Options = ["tmpcopyup"] });
        var r = s.Run(b);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("mounts[", r.Stderr);
        Assert.Contains("tmpcopyup", r.Stderr);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }
}
