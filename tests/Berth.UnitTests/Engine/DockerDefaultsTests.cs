using System.Text;
using System.Text.RegularExpressions;
using Berth.Engine.Defaults;
using Berth.Oci;
using Berth.Runtime.Seccomp;
using Berth.UnitTests.Seccomp;
using static Berth.Runtime.Seccomp.SeccompAbi;
using KernelCapabilities = Berth.Linux.Capabilities;

namespace Berth.UnitTests.Engine;

public sealed class DockerDefaultsTests
{
    private const uint Allow = SECCOMP_RET_ALLOW;
    private const uint Eperm = SECCOMP_RET_ERRNO | 1;
    private const uint Enosys = SECCOMP_RET_ERRNO | 38;
    private const ulong NamespaceFlags = 0x7E020000; // CLONE_NEW{NS,UTS,IPC,USER,PID,NET,CGROUP}

    private static readonly Version s_recentKernel = new(6, 8);
    private static readonly Version s_oldKernel = new(4, 4);

    private static List<string> DefaultsWith(params string[] extra) => [.. DockerDefaults.Capabilities, .. extra];

    private static LinuxSeccomp DefaultProfile(params string[] extraCaps) =>
        DockerSeccompProfile.Default(DefaultsWith(extraCaps), s_recentKernel);

    private static IEnumerable<LinuxSyscall> RulesFor(LinuxSeccomp profile, string name) =>
        profile.Syscalls!.Where(rule => rule.Names.Contains(name));

    private static bool AllowsUnconditionally(LinuxSeccomp profile, string name) =>
        RulesFor(profile, name).Any(rule => rule.Action == "SCMP_ACT_ALLOW" && rule.Args is null or []);

    /// <summary>What the compiled filter answers to an x86_64 syscall.</summary>
    private static uint Decide(SeccompProgram program, string name, params ulong[] args) =>
        BpfInterpreter.Run(program.Instructions,
            new SeccompData(SyscallTables.X86_64.Numbers[name], SyscallTables.X86_64.AuditArch, 0, args));

    // ---- Capabilities ----

    [Fact]
    public void DefaultCapabilitiesAreDockersFourteen()
    {
        Assert.Equal(14, DockerDefaults.Capabilities.Count);
        Assert.Equal(14, DockerDefaults.Capabilities.Distinct().Count());
        Assert.All(DockerDefaults.Capabilities, name => Assert.True(KernelCapabilities.TryParse(name, out _), name));
        Assert.Contains("CAP_NET_RAW", DockerDefaults.Capabilities);
        Assert.Contains("CAP_AUDIT_WRITE", DockerDefaults.Capabilities);
        Assert.DoesNotContain("CAP_SYS_ADMIN", DockerDefaults.Capabilities);
        Assert.DoesNotContain("CAP_NET_ADMIN", DockerDefaults.Capabilities);
    }

    [Fact]
    public void AllCapabilitiesRunUpToCheckpointRestore()
    {
        Assert.Equal(41, DockerDefaults.AllCapabilities.Count);
        Assert.Equal("CAP_CHOWN", DockerDefaults.AllCapabilities[0]);
        Assert.Equal("CAP_CHECKPOINT_RESTORE", DockerDefaults.AllCapabilities[^1]);
        Assert.Subset(DockerDefaults.AllCapabilities.ToHashSet(), DockerDefaults.Capabilities.ToHashSet());
    }

    [Fact]
    public void NoAddOrDropGivesTheDefaultsInNumberOrder()
    {
        var caps = DockerDefaults.ResolveCapabilities(null, null, privileged: false);

        Assert.Equal(DockerDefaults.Capabilities.Order(), caps.Order());
        Assert.Equal(caps.OrderBy(KernelCapabilities.Parse), caps);
    }

    [Fact]
    public void AddAllGrantsEverythingButTheDropped()
    {
        var caps = DockerDefaults.ResolveCapabilities(["ALL"], ["sys_admin"], privileged: false);

        Assert.Equal(40, caps.Count);
        Assert.DoesNotContain("CAP_SYS_ADMIN", caps);
        Assert.Contains("CAP_BPF", caps);
        Assert.Contains("CAP_CHECKPOINT_RESTORE", caps);
    }

    [Fact]
    public void DropAllKeepsOnlyTheAdded()
    {
        var caps = DockerDefaults.ResolveCapabilities(["net_admin", "CAP_CHOWN"], ["ALL"], privileged: false);

        Assert.Equal(["CAP_CHOWN", "CAP_NET_ADMIN"], caps);
    }

    [Fact]
    public void NamesAreCaseInsensitiveWithOrWithoutThePrefix()
    {
        var caps = DockerDefaults.ResolveCapabilities(["sys_ptrace", "Cap_Sys_Time", "net_admin"],
            ["net_raw", "cap_mknod", "Setfcap"], privileged: false);

        Assert.Contains("CAP_SYS_PTRACE", caps);
        Assert.Contains("CAP_SYS_TIME", caps);
        Assert.Contains("CAP_NET_ADMIN", caps);
        Assert.DoesNotContain("CAP_NET_RAW", caps);
        Assert.DoesNotContain("CAP_MKNOD", caps);
        Assert.DoesNotContain("CAP_SETFCAP", caps);
        Assert.Equal(14, caps.Count);
        Assert.All(caps, name => Assert.Equal(name.ToUpperInvariant(), name));
    }

    [Fact]
    public void AddingAHeldCapabilityListsItOnce()
    {
        var caps = DockerDefaults.ResolveCapabilities(["chown", "CAP_CHOWN"], null, privileged: false);

        Assert.Equal(14, caps.Count);
        Assert.Single(caps, "CAP_CHOWN");
    }

    [Theory]
    [InlineData("foo", null, "unknown capability: \"CAP_FOO\"")]
    [InlineData("CAP_FOO", null, "unknown capability: \"CAP_FOO\"")]
    [InlineData(null, "cap_bogus", "unknown capability: \"CAP_BOGUS\"")]
    public void AnUnknownNameIsAnError(string? add, string? drop, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DockerDefaults.ResolveCapabilities(
            add is null ? null : [add], drop is null ? null : [drop], privileged: false));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void PrivilegedGetsEveryCapabilityWhateverIsDropped()
    {
        var caps = DockerDefaults.ResolveCapabilities(null, ["ALL"], privileged: true);

        Assert.Equal(DockerDefaults.AllCapabilities, caps);
    }

    // ---- Masked and read-only paths ----

    [Fact]
    public void MaskedAndReadonlyPathsAreDockers()
    {
        string[] fixedMasked =
        [
            "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
            "/sys/devices/virtual/powercap", "/sys/firmware",
        ];

        Assert.Equal(fixedMasked, DockerDefaults.MaskedPaths.Take(fixedMasked.Length));
        // Anything more is a per-CPU thermal_throttle directory of this host.
        Assert.All(DockerDefaults.MaskedPaths.Skip(fixedMasked.Length),
            path => Assert.Matches(@"^/sys/devices/system/cpu/cpu\d+/thermal_throttle$", path));
        Assert.Equal(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"], DockerDefaults.ReadonlyPaths);
    }

    // ---- The default seccomp profile ----

    [Fact]
    public void DefaultProfileCompilesToBpf()
    {
        foreach (var caps in new[] { DefaultsWith(), DockerDefaults.AllCapabilities.ToList() })
        {
            foreach (var kernel in new[] { s_recentKernel, s_oldKernel, null })
            {
                var program = SeccompCompiler.Compile(DockerSeccompProfile.Default(caps, kernel));

                BpfInterpreter.Verify(program.Instructions);
                Assert.InRange(program.Instructions.Count, 100, BPF_MAXINSNS);
                Assert.Equal(Allow, Decide(program, "read"));
            }
        }
    }

    [Fact]
    public void DefaultProfileAnswersEpermOnTheX86Family()
    {
        var profile = DefaultProfile();

        Assert.Equal("SCMP_ACT_ERRNO", profile.DefaultAction);
        Assert.Equal(1u, profile.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], profile.Architectures);
        Assert.Null(profile.Flags);
    }

    [Theory]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("sethostname")]
    [InlineData("open_tree")]
    public void NamespaceAndMountSyscallsNeedCapSysAdmin(string name)
    {
        Assert.Empty(RulesFor(DefaultProfile(), name));
        Assert.True(AllowsUnconditionally(DefaultProfile("CAP_SYS_ADMIN"), name));
    }

    [Fact]
    public void PtraceNeedsCapSysPtraceOnlyBeforeKernel48()
    {
        var caps = DefaultsWith();

        // From 4.8 on seccomp also checks the syscall a tracer rewrites, so docker allows ptrace to all.
        Assert.True(AllowsUnconditionally(DockerSeccompProfile.Default(caps, s_recentKernel), "ptrace"));
        Assert.True(AllowsUnconditionally(DockerSeccompProfile.Default(caps, new Version(4, 8)), "ptrace"));
        Assert.False(AllowsUnconditionally(DockerSeccompProfile.Default(caps, s_oldKernel), "ptrace"));
        Assert.False(AllowsUnconditionally(DockerSeccompProfile.Default(caps, kernel: null), "ptrace"));
        Assert.True(AllowsUnconditionally(DockerSeccompProfile.Default(DefaultsWith("CAP_SYS_PTRACE"), s_oldKernel), "ptrace"));
        // kcmp and pidfd_getfd stay behind the capability on every kernel.
        Assert.False(AllowsUnconditionally(DockerSeccompProfile.Default(caps, s_recentKernel), "kcmp"));
        Assert.True(AllowsUnconditionally(DockerSeccompProfile.Default(DefaultsWith("CAP_SYS_PTRACE"), s_recentKernel), "pidfd_getfd"));
    }

    [Fact]
    public void RebootNeedsCapSysBoot()
    {
        Assert.Empty(RulesFor(DefaultProfile(), "reboot"));
        Assert.Empty(RulesFor(DockerSeccompProfile.Default(DefaultsWith(), s_oldKernel), "reboot"));
        Assert.Empty(RulesFor(DockerSeccompProfile.Default(DefaultsWith("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), s_recentKernel), "reboot"));
        Assert.True(AllowsUnconditionally(DefaultProfile("CAP_SYS_BOOT"), "reboot"));
    }

    [Fact]
    public void CloneWithoutCapSysAdminMayNotCreateNamespaces()
    {
        var clone = Assert.Single(RulesFor(DefaultProfile(), "clone"));
        Assert.Equal("SCMP_ACT_ALLOW", clone.Action);
        var arg = Assert.Single(clone.Args!);
        Assert.Equal(0u, arg.Index); // the s390 rule (flags in argument 1) is not for amd64
        Assert.Equal("SCMP_CMP_MASKED_EQ", arg.Op);
        Assert.Equal(NamespaceFlags, arg.Value);
        Assert.Equal(0ul, arg.ValueTwo);

        var withAdmin = DefaultProfile("CAP_SYS_ADMIN");
        Assert.True(AllowsUnconditionally(withAdmin, "clone"));
        Assert.DoesNotContain(RulesFor(withAdmin, "clone"), rule => rule.Args is { Count: > 0 });
    }

    [Fact]
    public void Clone3AnswersEnosysWithoutCapSysAdmin()
    {
        var clone3 = Assert.Single(RulesFor(DefaultProfile(), "clone3"));
        Assert.Equal("SCMP_ACT_ERRNO", clone3.Action);
        Assert.Equal(38u, clone3.ErrnoRet);

        var withAdmin = DefaultProfile("CAP_SYS_ADMIN");
        Assert.True(AllowsUnconditionally(withAdmin, "clone3"));
        Assert.DoesNotContain(RulesFor(withAdmin, "clone3"), rule => rule.Action == "SCMP_ACT_ERRNO");
    }

    [Theory]
    [InlineData("fchmodat2")]
    [InlineData("map_shadow_stack")]
    [InlineData("futex_wait")]
    [InlineData("mseal")]
    public void RecentSyscallsAreAllowed(string name)
    {
        Assert.True(AllowsUnconditionally(DefaultProfile(), name));
    }

    [Fact]
    public void OnlyTheAmd64ArchitectureRulesAreKept()
    {
        var profile = DefaultProfile();

        Assert.True(AllowsUnconditionally(profile, "arch_prctl"));
        Assert.True(AllowsUnconditionally(profile, "modify_ldt"));
        Assert.Empty(RulesFor(profile, "cacheflush"));
        Assert.Empty(RulesFor(profile, "swapcontext"));
        Assert.Empty(RulesFor(profile, "s390_runtime_instr"));
        Assert.Empty(RulesFor(profile, "riscv_flush_icache"));
    }

    [Fact]
    public void CapabilitiesMatchWhateverTheirCase()
    {
        var profile = DockerSeccompProfile.Default(["cap_sys_admin"], s_recentKernel);

        Assert.True(AllowsUnconditionally(profile, "mount"));
    }

    [Fact]
    public void CompiledDefaultDecidesLikeDocker()
    {
        var program = SeccompCompiler.Compile(DefaultProfile());
        const ulong sigchld = 17, cloneNewUser = 0x10000000;

        Assert.Equal(Allow, Decide(program, "openat"));
        Assert.Equal(Allow, Decide(program, "faccessat2"));
        Assert.Equal(Eperm, Decide(program, "mount"));
        Assert.Equal(Eperm, Decide(program, "reboot"));
        Assert.Equal(Eperm, Decide(program, "io_uring_setup")); // docker stopped allowing io_uring
        Assert.Equal(Eperm, Decide(program, "kexec_load"));
        Assert.Equal(Allow, Decide(program, "clone", sigchld));
        Assert.Equal(Eperm, Decide(program, "clone", cloneNewUser | sigchld));
        Assert.Equal(Enosys, Decide(program, "clone3"));
        Assert.Equal(Allow, Decide(program, "socket", 1));   // AF_UNIX
        Assert.Equal(Allow, Decide(program, "socket", 2));   // AF_INET
        Assert.Equal(Allow, Decide(program, "socket", 16));  // AF_NETLINK
        Assert.Equal(Allow, Decide(program, "socket", 45));  // AF_MCTP
        Assert.Equal(Eperm, Decide(program, "socket", 38));  // AF_ALG
        Assert.Equal(Eperm, Decide(program, "socket", 40));  // AF_VSOCK
        Assert.Equal(Eperm, Decide(program, "socket", 12));  // AF_DECnet, gone from the kernel
        Assert.Equal(Eperm, Decide(program, "socket", 46));
        Assert.Equal(Allow, Decide(program, "personality", 0xffffffff));
        Assert.Equal(Allow, Decide(program, "personality", 0x8));
        Assert.Equal(Eperm, Decide(program, "personality", 0x0040000)); // ADDR_NO_RANDOMIZE
    }

    [Fact]
    public void EachCallReturnsAProfileOfItsOwn()
    {
        var first = DefaultProfile();
        first.Syscalls![0].Names.Clear();
        first.Syscalls.RemoveAll(rule => rule.Names.Contains("clone"));
        foreach (var arg in first.Syscalls.SelectMany(rule => rule.Args ?? []))
        {
            arg.Value = 0;
        }

        var second = DefaultProfile();
        Assert.Contains("read", second.Syscalls![0].Names);
        Assert.Equal(NamespaceFlags, Assert.Single(RulesFor(second, "clone")).Args![0].Value);
    }

    [Theory]
    [InlineData("6.8.0-45-generic", 6, 8)]
    [InlineData("3.12-1-amd64", 3, 12)]
    [InlineData("5.15.153.1-microsoft-standard-WSL2\n", 5, 15)]
    [InlineData("4.8", 4, 8)]
    [InlineData("6", -1, -1)]
    [InlineData("linux", -1, -1)]
    public void KernelReleasesReadAsMajorDotMinor(string release, int major, int minor)
    {
        var version = DockerSeccompProfile.ParseKernelRelease(release);

        Assert.Equal(major < 0 ? null : new Version(major, minor), version);
    }

    // ---- Loading a Docker-format profile ----

    private const string HandWrittenProfile = """
        {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "archMap": [
            { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] },
            { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] }
          ],
          "syscalls": [
            { "names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW" },
            { "name": "getpid", "action": "SCMP_ACT_ALLOW", "comment": "the single-name form of old profiles" },
            { "names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": { "caps": ["CAP_SYS_ADMIN"] } },
            { "names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "excludes": { "caps": ["CAP_FOWNER"] } },
            { "names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": { "arches": ["amd64", "x32"] } },
            { "names": ["cacheflush"], "action": "SCMP_ACT_ALLOW", "includes": { "arches": ["arm64"] } },
            { "names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW", "excludes": { "arches": ["amd64"] } },
            { "names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": { "minKernel": "5.10" } },
            { "names": ["personality"], "action": "SCMP_ACT_ALLOW",
              "args": [ { "index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ" } ] },
            { "names": ["socket"], "action": "SCMP_ACT_ALLOW",
              "args": [ { "index": 1, "value": 255, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ" } ] }
          ]
        }
        """;

    [Fact]
    public void DockerProfileResolvesForCapsArchAndKernel()
    {
        var json = Encoding.UTF8.GetBytes(HandWrittenProfile);

        var plain = DockerSeccompProfile.FromDockerProfile(json, ["CAP_CHOWN"], new Version(6, 1));

        Assert.Equal("SCMP_ACT_ERRNO", plain.DefaultAction);
        Assert.Equal(1u, plain.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], plain.Architectures);
        Assert.Equal(
            ["read write exit_group", "getpid", "chmod", "arch_prctl", "ptrace", "personality", "socket"],
            plain.Syscalls!.Select(rule => string.Join(' ', rule.Names)));
        Assert.Equal(13u, Assert.Single(RulesFor(plain, "chmod")).ErrnoRet);
        var socketArg = Assert.Single(Assert.Single(RulesFor(plain, "socket")).Args!);
        Assert.Equal((1u, "SCMP_CMP_MASKED_EQ", 255ul, 1ul), (socketArg.Index, socketArg.Op, socketArg.Value, socketArg.ValueTwo));

        var admin = DockerSeccompProfile.FromDockerProfile(json, ["CAP_SYS_ADMIN", "CAP_FOWNER"], new Version(5, 4));

        Assert.Equal(
            ["read write exit_group", "getpid", "mount", "arch_prctl", "personality", "socket"],
            admin.Syscalls!.Select(rule => string.Join(' ', rule.Names)));
    }

    [Fact]
    public void ResolvedDockerProfileCompiles()
    {
        var profile = DockerSeccompProfile.FromDockerProfile(Encoding.UTF8.GetBytes(HandWrittenProfile), ["CAP_CHOWN"], s_recentKernel);

        var program = SeccompCompiler.Compile(profile);

        Assert.Equal(Allow, Decide(program, "getpid"));
        Assert.Equal(SECCOMP_RET_ERRNO | 13, Decide(program, "chmod"));
        Assert.Equal(Eperm, Decide(program, "mount"));
        Assert.Equal(Allow, Decide(program, "personality", 8));
        Assert.Equal(Eperm, Decide(program, "personality", 9));
    }

    [Fact]
    public void ListedArchitecturesAndFlagsPassThrough()
    {
        // Go's encoding/json matches field names whatever their case, so docker accepts "DefaultAction" too.
        var json = """
            { "DefaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
              "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO" } ] }
            """u8;

        var profile = DockerSeccompProfile.FromDockerProfile(json, [], s_recentKernel);

        Assert.Equal("SCMP_ACT_ALLOW", profile.DefaultAction);
        Assert.Equal(["SCMP_ARCH_X86_64"], profile.Architectures);
        Assert.Equal(["SECCOMP_FILTER_FLAG_LOG"], profile.Flags);
        Assert.Equal("mkdir", Assert.Single(Assert.Single(profile.Syscalls!).Names));
    }

    [Theory]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ """, "invalid JSON")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", }""", "invalid JSON")]
    [InlineData("seccomp", "invalid JSON at line 1")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": "x" } ] }""",
        "$.syscalls[0].errnoRet")]
    [InlineData("null", "the profile is null")]
    [InlineData("{}", "defaultAction: missing")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_NOPE" }""", "defaultAction: unknown action \"SCMP_ACT_NOPE\"")]
    [InlineData("""
        { "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          { "names": ["read"], "action": "SCMP_ACT_ALLOW" }, { "names": ["write"], "action": "SCMP_ACT_PERMIT" } ] }
        """, "syscalls[1].action: unknown action \"SCMP_ACT_PERMIT\"")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["read"] } ] }""", "syscalls[0].action: missing")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW" } ] }""",
        "syscalls[0]: both name and names")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [ { "architecture": "SCMP_ARCH_X86_64" } ] }""",
        "architectures and archMap are both set")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"] }""", "architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [ { "index": 0, "value": 1, "op": "SCMP_CMP_SOME" } ] } ] }""",
        "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_SOME\"")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [ { "index": 6, "value": 1, "op": "SCMP_CMP_EQ" } ] } ] }""",
        "syscalls[0].args[0].index: 6 is out of range")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": { "minKernel": "5" } } ] }""",
        "syscalls[0].includes.minKernel: invalid kernel version \"5\"")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000 }""", "defaultErrnoRet: 70000 does not fit")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_FAST"] }""", "flags[0]: unknown flag")]
    public void MalformedProfilesAreRejectedInOneLine(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(
            () => DockerSeccompProfile.FromDockerProfile(Encoding.UTF8.GetBytes(json), DockerDefaults.Capabilities.ToList(), s_recentKernel));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("[\r\n]"), e.Message);
    }
}
