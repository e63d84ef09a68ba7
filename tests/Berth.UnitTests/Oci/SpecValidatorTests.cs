using Berth.Oci;

namespace Berth.UnitTests.Oci;

/// <summary>One test per rule: a valid default config with exactly one thing broken, and the message that names it.</summary>
public sealed class SpecValidatorTests
{
    private const string Bundle = "/bundle";

    // A host where every probed path exists except the LSMs, so results do not depend on the machine.
    private static bool HostWithoutLsm(string path) => path is not (SpecValidator.AppArmorPath or SpecValidator.SelinuxPath);

    private static bool HostWithLsm(string path) => true;

    private static Spec Valid() => DefaultSpec.Create();

    private static string Error(Spec spec, Func<string, bool>? host = null)
        => Assert.Throws<SpecException>(() => SpecValidator.Validate(spec, Bundle, host ?? HostWithoutLsm)).Message;

    private static void Ok(Spec spec, Func<string, bool>? host = null) => SpecValidator.Validate(spec, Bundle, host ?? HostWithoutLsm);

    private static Spec Parse(string json) => OciJson.ParseSpec(System.Text.Encoding.UTF8.GetBytes(json));

    // ----- version, root, process -------------------------------------------------------------

    [Fact]
    public void DefaultSpecIsValid() => Ok(Valid());

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.0.2-dev")]
    [InlineData("1.1.0-rc.2")]
    [InlineData("1.2.0")]
    [InlineData("1.2.1+build.5")]
    public void AcceptsEvery1xVersion(string version)
    {
        var spec = Valid();
        spec.OciVersion = version;
        Ok(spec);
    }

    [Fact]
    public void OciVersionIsRequired()
    {
        var spec = Valid();
        spec.OciVersion = "";
        Assert.Equal("config.json: ociVersion: is required", Error(spec));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.02.0")]
    [InlineData("1.0.0-")]
    public void OciVersionMustBeSemver(string version)
    {
        var spec = Valid();
        spec.OciVersion = version;
        Assert.Equal($"config.json: ociVersion: \"{version}\" is not a semantic version (like \"1.2.0\")", Error(spec));
    }

    [Fact]
    public void OciVersionMustBe1x()
    {
        var spec = Valid();
        spec.OciVersion = "2.0.0";
        Assert.Equal("config.json: ociVersion: version \"2.0.0\" is not supported (this runtime implements 1.x, up to 1.2.0)", Error(spec));
    }

    [Fact]
    public void RootIsRequired()
    {
        var spec = Valid();
        spec.Root = null;
        Assert.Equal("config.json: root: is required", Error(spec));
    }

    [Fact]
    public void RootPathIsRequired()
    {
        var spec = Valid();
        spec.Root!.Path = "";
        Assert.Equal("config.json: root.path: is required", Error(spec));
    }

    [Fact]
    public void RelativeRootPathIsResolvedAgainstTheBundleAndMustExist()
    {
        var spec = Valid();
        Assert.Equal("config.json: root.path: \"/bundle/rootfs\" does not exist",
            Error(spec, p => p != "/bundle/rootfs" && HostWithoutLsm(p)));
    }

    [Fact]
    public void AbsoluteRootPathIsUsedAsIs()
    {
        var spec = Valid();
        spec.Root!.Path = "/srv/rootfs";
        Assert.Equal("config.json: root.path: \"/srv/rootfs\" does not exist",
            Error(spec, p => p != "/srv/rootfs" && HostWithoutLsm(p)));
    }

    [Fact]
    public void ProcessIsRequired()
    {
        var spec = Valid();
        spec.Process = null;
        Assert.Equal("config.json: process: is required to create a container", Error(spec));
    }

    [Fact]
    public void ArgsMustNotBeEmpty()
    {
        var spec = Valid();
        spec.Process!.Args = [];
        Assert.Equal("config.json: process.args: must not be empty", Error(spec));
    }

    [Fact]
    public void CommandLineStandsInForArgs()
    {
        var spec = Valid();
        spec.Process!.Args = null;
        spec.Process.CommandLine = "sh -c true";
        Ok(spec);
    }

    [Fact]
    public void FirstArgMustNotBeEmpty()
    {
        var spec = Valid();
        spec.Process!.Args = ["", "x"];
        Assert.Equal("config.json: process.args[0]: must not be empty", Error(spec));
    }

    [Fact]
    public void CwdMustBeAbsolute()
    {
        var spec = Valid();
        spec.Process!.Cwd = "home";
        Assert.Equal("config.json: process.cwd: \"home\" is not an absolute path", Error(spec));
    }

    [Fact]
    public void CwdIsRequired()
    {
        var spec = Valid();
        spec.Process!.Cwd = "";
        Assert.Equal("config.json: process.cwd: is required", Error(spec));
    }

    [Theory]
    [InlineData("NOEQUALS", "config.json: process.env[2]: \"NOEQUALS\" is not NAME=value")]
    [InlineData("=value", "config.json: process.env[2]: \"=value\" has an empty name")]
    [InlineData("A=b\0c", "config.json: process.env[2]: contains a NUL byte")]
    public void EnvEntriesMustBeNameEqualsValue(string entry, string message)
    {
        var spec = Valid();
        spec.Process!.Env!.Add(entry);
        Assert.Equal(message, Error(spec));
    }

    [Fact]
    public void CapabilitiesMustBeKnown()
    {
        var spec = Valid();
        spec.Process!.Capabilities!.Permitted!.Add("CAP_FLY");
        Assert.Equal("config.json: process.capabilities.permitted[3]: unknown capability \"CAP_FLY\"", Error(spec));
    }

    [Fact]
    public void CapabilityNamesAreCaseSensitive()
    {
        var spec = Valid();
        spec.Process!.Capabilities!.Ambient = ["cap_kill"];
        Assert.Equal("config.json: process.capabilities.ambient[0]: unknown capability \"cap_kill\"", Error(spec));
    }

    [Fact]
    public void RlimitTypesMustBeKnown()
    {
        var spec = Valid();
        spec.Process!.Rlimits!.Add(new PosixRlimit { Type = "RLIMIT_FOO", Soft = 1, Hard = 1 });
        Assert.Equal("config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"", Error(spec));
    }

    [Fact]
    public void RlimitTypesMustNotRepeat()
    {
        var spec = Valid();
        spec.Process!.Rlimits!.Add(new PosixRlimit { Type = "RLIMIT_NOFILE", Soft = 1, Hard = 1 });
        Assert.Equal("config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"", Error(spec));
    }

    [Fact]
    public void RlimitSoftMustNotExceedHard()
    {
        var spec = Valid();
        spec.Process!.Rlimits![0].Soft = 2048;
        Assert.Equal("config.json: process.rlimits[0]: soft limit 2048 is greater than hard limit 1024", Error(spec));
    }

    [Fact]
    public void OomScoreAdjMustBeInRange()
    {
        var spec = Valid();
        spec.Process!.OomScoreAdj = 1001;
        Assert.Equal("config.json: process.oomScoreAdj: 1001 is outside -1000..1000", Error(spec));
    }

    [Fact]
    public void ApparmorProfileNeedsAppArmorOnTheHost()
    {
        var spec = Valid();
        spec.Process!.ApparmorProfile = "berth-default";
        Assert.Equal("config.json: process.apparmorProfile: not supported on this host (no AppArmor)", Error(spec));
        Ok(spec, HostWithLsm);
    }

    [Fact]
    public void SelinuxLabelNeedsSelinuxOnTheHost()
    {
        var spec = Valid();
        spec.Process!.SelinuxLabel = "system_u:system_r:container_t:s0";
        Assert.Equal("config.json: process.selinuxLabel: not supported on this host (no SELinux)", Error(spec));
        Ok(spec, HostWithLsm);
    }

    [Fact]
    public void IoPriorityClassMustBeKnown()
    {
        var spec = Valid();
        spec.Process!.IoPriority = new LinuxIoPriority { Class = "IOPRIO_CLASS_NONE", Priority = 0 };
        Assert.Equal("config.json: process.ioPriority.class: unknown class \"IOPRIO_CLASS_NONE\" (want IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)", Error(spec));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void IoPriorityMustBe0To7(int priority)
    {
        var spec = Valid();
        spec.Process!.IoPriority = new LinuxIoPriority { Class = "IOPRIO_CLASS_BE", Priority = priority };
        Assert.Equal($"config.json: process.ioPriority.priority: {priority} is outside 0..7", Error(spec));
    }

    [Fact]
    public void SchedulerPolicyMustBeKnown()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_FAST" };
        Assert.StartsWith("config.json: process.scheduler.policy: unknown policy \"SCHED_FAST\" (want SCHED_OTHER, ", Error(spec));
    }

    [Fact]
    public void SchedulerPolicyIsRequired()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler();
        Assert.Equal("config.json: process.scheduler.policy: is required", Error(spec));
    }

    [Fact]
    public void SchedulerNiceMustBeInRange()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_OTHER", Nice = 20 };
        Assert.Equal("config.json: process.scheduler.nice: 20 is outside -20..19", Error(spec));
    }

    [Fact]
    public void SchedulerPriorityOnlyForRealtimePolicies()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_BATCH", Priority = 5 };
        Assert.Equal("config.json: process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR", Error(spec));
    }

    [Fact]
    public void RealtimePoliciesNeedPriority1To99()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_FIFO", Priority = 0 };
        Assert.Equal("config.json: process.scheduler.priority: 0 is outside 1..99 (required for SCHED_FIFO)", Error(spec));
        spec.Process.Scheduler.Priority = 10;
        Ok(spec);
    }

    [Fact]
    public void DeadlineParametersOnlyForSchedDeadline()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_OTHER", Runtime = 1000 };
        Assert.Equal("config.json: process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE", Error(spec));
        spec.Process.Scheduler.Policy = "SCHED_DEADLINE";
        Ok(spec);
    }

    [Fact]
    public void SchedulerFlagsMustBeKnown()
    {
        var spec = Valid();
        spec.Process!.Scheduler = new LinuxScheduler { Policy = "SCHED_OTHER", Flags = ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_X"] };
        Assert.Equal("config.json: process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_X\"", Error(spec));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0-3")]
    [InlineData("0-3,7,9-10")]
    public void ExecCpuAffinityAcceptsCpuLists(string list)
    {
        var spec = Valid();
        spec.Process!.ExecCpuAffinity = new CpuAffinity { Initial = list, Final = list };
        Ok(spec);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData("1,,2")]
    [InlineData("-1")]
    public void ExecCpuAffinityRejectsOtherStrings(string list)
    {
        var spec = Valid();
        spec.Process!.ExecCpuAffinity = new CpuAffinity { Final = list };
        Assert.Equal($"config.json: process.execCPUAffinity.final: \"{list}\" is not a CPU list like \"0-3,7\"", Error(spec));
    }

    // ----- exec's process.json ----------------------------------------------------------------

    [Fact]
    public void ExecProcessMessagesAreRelativeToTheDocument()
    {
        var process = Valid().Process!;
        SpecValidator.Validate(process, "process.json", HostWithoutLsm);
        process.Cwd = "tmp";
        var e = Assert.Throws<SpecException>(() => SpecValidator.Validate(process, "process.json", HostWithoutLsm));
        Assert.Equal("process.json: cwd: \"tmp\" is not an absolute path", e.Message);
    }

    [Fact]
    public void ExecProcessChecksCapabilitiesToo()
    {
        var process = Valid().Process!;
        process.Capabilities!.Bounding = ["CAP_NOPE"];
        var e = Assert.Throws<SpecException>(() => SpecValidator.Validate(process, "process.json", HostWithoutLsm));
        Assert.Equal("process.json: capabilities.bounding[0]: unknown capability \"CAP_NOPE\"", e.Message);
    }

    // ----- namespaces ---------------------------------------------------------------------------

    [Fact]
    public void NamespaceTypesMustBeKnown()
    {
        var spec = Valid();
        spec.Linux!.Namespaces![3].Type = "foo";
        Assert.Equal("config.json: linux.namespaces[3].type: unknown namespace type \"foo\"", Error(spec));
    }

    [Fact]
    public void NamespaceTypesMustNotRepeat()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "pid", Path = "/proc/1/ns/pid" });
        Assert.Equal("config.json: linux.namespaces[6].type: duplicate namespace type \"pid\"", Error(spec));
    }

    [Fact]
    public void NamespacePathsMustBeAbsolute()
    {
        var spec = Valid();
        spec.Linux!.Namespaces![1].Path = "run/netns/a";
        Assert.Equal("config.json: linux.namespaces[1].path: \"run/netns/a\" is not an absolute path", Error(spec));
        spec.Linux.Namespaces[1].Path = "/run/netns/a";
        Ok(spec);
    }

    [Fact]
    public void TimeNamespaceNeedsKernelSupport()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        Assert.Equal("config.json: linux.namespaces[6].type: time namespaces are not supported by this kernel (/proc/self/timens_offsets is missing)",
            Error(spec, p => p != "/proc/self/timens_offsets" && HostWithoutLsm(p)));
    }

    [Fact]
    public void IdMappingsNeedAUserNamespace()
    {
        var spec = Valid();
        spec.Linux!.UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
        Assert.Equal("config.json: linux.uidMappings: set without a user namespace in linux.namespaces", Error(spec));
        spec.Linux.UidMappings = null;
        spec.Linux.GidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
        Assert.Equal("config.json: linux.gidMappings: set without a user namespace in linux.namespaces", Error(spec));
    }

    [Fact]
    public void NewUserNamespaceNeedsMappings()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user" });
        Assert.Equal("config.json: linux.uidMappings: a new user namespace needs uid mappings", Error(spec));
        spec.Linux.UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
        Assert.Equal("config.json: linux.gidMappings: a new user namespace needs gid mappings", Error(spec));
        spec.Linux.GidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
        Ok(spec);
    }

    [Fact]
    public void JoinedUserNamespaceNeedsNoMappings()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user", Path = "/proc/42/ns/user" });
        Ok(spec);
    }

    [Fact]
    public void IdMappingSizeMustBePositive()
    {
        var spec = DefaultSpec.CreateRootless(1000, 1000);
        spec.Linux!.GidMappings![0].Size = 0;
        Assert.Equal("config.json: linux.gidMappings[0].size: must be at least 1", Error(spec));
    }

    [Fact]
    public void IdMappingMustNotOverflow()
    {
        var spec = DefaultSpec.CreateRootless(1000, 1000);
        spec.Linux!.UidMappings![0] = new LinuxIdMapping { ContainerId = 0, HostId = uint.MaxValue, Size = 2 };
        Assert.Equal("config.json: linux.uidMappings[0]: range goes past the largest id (4294967295)", Error(spec));
    }

    [Fact]
    public void TimeOffsetsNeedATimeNamespace()
    {
        var spec = Valid();
        spec.Linux!.TimeOffsets = new() { ["monotonic"] = new LinuxTimeOffset { Secs = 10 } };
        Assert.Equal("config.json: linux.timeOffsets: set without a time namespace in linux.namespaces", Error(spec));
        spec.Linux.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        Ok(spec);
    }

    [Fact]
    public void TimeOffsetsCannotChangeAJoinedTimeNamespace()
    {
        var spec = Valid();
        spec.Linux!.TimeOffsets = new() { ["boottime"] = new LinuxTimeOffset { Secs = 10 } };
        spec.Linux.Namespaces!.Add(new LinuxNamespace { Type = "time", Path = "/proc/42/ns/time" });
        Assert.Equal("config.json: linux.timeOffsets: cannot change the clocks of a joined time namespace", Error(spec));
    }

    [Fact]
    public void TimeOffsetClocksAreBoottimeAndMonotonic()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        spec.Linux.TimeOffsets = new() { ["realtime"] = new LinuxTimeOffset { Secs = 10 } };
        Assert.Equal("config.json: linux.timeOffsets[\"realtime\"]: unknown clock (want boottime, monotonic)", Error(spec));
    }

    [Fact]
    public void HostnameNeedsAUtsNamespace()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "uts");
        Assert.Equal("config.json: hostname: cannot be set without a uts namespace in linux.namespaces", Error(spec));
    }

    [Fact]
    public void DomainnameNeedsAUtsNamespace()
    {
        var spec = Valid();
        spec.Hostname = null;
        spec.Domainname = "example.org";
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "uts");
        Assert.Equal("config.json: domainname: cannot be set without a uts namespace in linux.namespaces", Error(spec));
    }

    [Fact]
    public void HostnameFitsTheKernelLimit()
    {
        var spec = Valid();
        spec.Hostname = new string('h', 65);
        Assert.Equal("config.json: hostname: is longer than 64 characters", Error(spec));
    }

    // ----- mounts ------------------------------------------------------------------------------

    [Fact]
    public void MountDestinationMustBeAbsolute()
    {
        var spec = Valid();
        spec.Mounts![2].Destination = "dev/pts";
        Assert.Equal("config.json: mounts[2].destination: \"dev/pts\" is not an absolute path", Error(spec));
    }

    [Fact]
    public void MountDestinationMustNotClimb()
    {
        var spec = Valid();
        spec.Mounts![4].Destination = "/dev/../../etc";
        Assert.Equal("config.json: mounts[4].destination: \"/dev/../../etc\" must not contain \"..\"", Error(spec));
    }

    [Fact]
    public void BindMountNeedsASource()
    {
        var spec = Valid();
        spec.Mounts!.Add(new Mount { Destination = "/data", Options = ["rbind", "ro"] });
        Assert.Equal("config.json: mounts[7].source: is required for a bind mount", Error(spec));
        spec.Mounts[7].Source = "/srv/data";
        Ok(spec);
    }

    [Fact]
    public void OtherMountsNeedAType()
    {
        var spec = Valid();
        spec.Mounts!.Add(new Mount { Destination = "/data", Source = "tmpfs" });
        Assert.Equal("config.json: mounts[7].type: is required unless the options contain \"bind\" or \"rbind\"", Error(spec));
    }

    [Fact]
    public void IdmappedMountsAreRefused()
    {
        var spec = Valid();
        spec.Mounts!.Add(new Mount
        {
            Destination = "/data", Source = "/srv", Options = ["bind"],
            UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = 1000, Size = 1 }],
        });
        Assert.Equal("config.json: mounts[7].uidMappings: idmapped mounts are not supported", Error(spec));
    }

    // ----- hooks, annotations --------------------------------------------------------------------

    [Fact]
    public void HookPathsMustBeAbsolute()
    {
        var spec = Valid();
        spec.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/usr/bin/true" }, new Hook { Path = "hook.sh" }] };
        Assert.Equal("config.json: hooks.createRuntime[1].path: \"hook.sh\" is not an absolute path", Error(spec));
    }

    [Fact]
    public void HookTimeoutMustBePositive()
    {
        var spec = Valid();
        spec.Hooks = new Hooks { Poststop = [new Hook { Path = "/usr/bin/true", Timeout = 0 }] };
        Assert.Equal("config.json: hooks.poststop[0].timeout: must be greater than zero, not 0", Error(spec));
    }

    [Fact]
    public void AnnotationKeysMustNotBeEmpty()
    {
        var spec = Valid();
        spec.Annotations = new() { [""] = "x" };
        Assert.Equal("config.json: annotations: keys must not be empty", Error(spec));
    }

    // ----- linux -------------------------------------------------------------------------------

    [Theory]
    [InlineData("shared")]
    [InlineData("slave")]
    [InlineData("private")]
    [InlineData("unbindable")]
    [InlineData("rshared")]
    [InlineData("rslave")]
    [InlineData("rprivate")]
    [InlineData("runbindable")]
    public void RootfsPropagationAcceptsTheKnownModes(string mode)
    {
        var spec = Valid();
        spec.Linux!.RootfsPropagation = mode;
        Ok(spec);
    }

    [Fact]
    public void RootfsPropagationMustBeKnown()
    {
        var spec = Valid();
        spec.Linux!.RootfsPropagation = "rcommon";
        Assert.StartsWith("config.json: linux.rootfsPropagation: unknown propagation \"rcommon\" (want shared, slave, ", Error(spec));
    }

    [Fact]
    public void DeviceTypeMustBeCbuOrP()
    {
        var spec = Valid();
        spec.Linux!.Devices = [new LinuxDevice { Path = "/dev/fuse", Type = "x", Major = 10, Minor = 229 }];
        Assert.Equal("config.json: linux.devices[0].type: unknown device type \"x\" (want \"c\", \"b\", \"u\" or \"p\")", Error(spec));
    }

    [Fact]
    public void DevicePathMustBeAbsolute()
    {
        var spec = Valid();
        spec.Linux!.Devices = [new LinuxDevice { Path = "/dev/fuse", Type = "c" }, new LinuxDevice { Path = "dev/sda", Type = "b" }];
        Assert.Equal("config.json: linux.devices[1].path: \"dev/sda\" is not an absolute path", Error(spec));
    }

    [Fact]
    public void DeviceCgroupAccessIsRwm()
    {
        var spec = Valid();
        spec.Linux!.Resources!.Devices!.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwx" });
        Assert.Equal("config.json: linux.resources.devices[1].access: \"rwx\" is not a combination of r, w and m", Error(spec));
    }

    [Fact]
    public void DeviceCgroupTypeIsACOrB()
    {
        var spec = Valid();
        spec.Linux!.Resources!.Devices!.Add(new LinuxDeviceCgroup { Allow = true, Type = "p", Access = "r" });
        Assert.Equal("config.json: linux.resources.devices[1].type: unknown device type \"p\" (want \"a\", \"c\" or \"b\")", Error(spec));
    }

    [Theory]
    [InlineData("kernel.shmmax")]
    [InlineData("kernel.msgmnb")]
    [InlineData("kernel.sem")]
    [InlineData("fs.mqueue.msg_max")]
    [InlineData("net.ipv4.ip_forward")]
    [InlineData("net/ipv4/conf/eth0.100/rp_filter")]
    [InlineData("kernel.domainname")]
    public void NamespacedSysctlsAreAllowed(string key)
    {
        var spec = Valid();
        spec.Linux!.Sysctl = new() { [key] = "1" };
        Ok(spec);
    }

    [Fact]
    public void IpcSysctlsNeedAnIpcNamespace()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "ipc");
        spec.Linux.Sysctl = new() { ["kernel.shm_rmid_forced"] = "1" };
        Assert.Equal("config.json: linux.sysctl[\"kernel.shm_rmid_forced\"]: needs an ipc namespace in linux.namespaces (not allowed in the host's)", Error(spec));
    }

    [Fact]
    public void NetSysctlsNeedANetworkNamespace()
    {
        var spec = DefaultSpec.CreateRootless(1000, 1000);
        spec.Linux!.Sysctl = new() { ["net.core.somaxconn"] = "256" };
        Assert.Equal("config.json: linux.sysctl[\"net.core.somaxconn\"]: needs a network namespace in linux.namespaces (not allowed in the host's)", Error(spec));
    }

    [Fact]
    public void KernelHostnameSysctlConflictsWithTheHostnameField()
    {
        var spec = Valid();
        spec.Linux!.Sysctl = new() { ["kernel.hostname"] = "x" };
        Assert.Equal("config.json: linux.sysctl[\"kernel.hostname\"]: not allowed: use the \"hostname\" field", Error(spec));
    }

    [Fact]
    public void HostWideSysctlsAreRefused()
    {
        var spec = Valid();
        spec.Linux!.Sysctl = new() { ["vm.swappiness"] = "0" };
        Assert.StartsWith("config.json: linux.sysctl[\"vm.swappiness\"]: not namespaced: it would change the host", Error(spec));
    }

    [Fact]
    public void SeccompDefaultActionIsRequired()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp();
        Assert.Equal("config.json: linux.seccomp.defaultAction: is required", Error(spec));
    }

    [Fact]
    public void SeccompActionsMustBeKnown()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls = [new LinuxSyscall { Names = ["mount"], Action = "SCMP_ACT_PANIC" }],
        };
        Assert.Equal("config.json: linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_PANIC\"", Error(spec));
    }

    [Fact]
    public void SeccompNotifyIsNotADefaultAction()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp { DefaultAction = "SCMP_ACT_NOTIFY", ListenerPath = "/run/agent.sock" };
        Assert.Equal("config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", Error(spec));
    }

    [Fact]
    public void SeccompNotifyNeedsAListener()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = ["mknod"], Action = "SCMP_ACT_NOTIFY" }],
        };
        Assert.Equal("config.json: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", Error(spec));
        spec.Linux.Seccomp.ListenerPath = "/run/agent.sock";
        Ok(spec);
    }

    [Fact]
    public void SeccompErrnoRetOnlyWithErrnoOrTrace()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp { DefaultAction = "SCMP_ACT_ALLOW", DefaultErrnoRet = 1 };
        Assert.Equal("config.json: linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not return an errno", Error(spec));
    }

    [Fact]
    public void SeccompSyscallNamesMustNotBeEmpty()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = [], Action = "SCMP_ACT_ERRNO" }],
        };
        Assert.Equal("config.json: linux.seccomp.syscalls[0].names: must contain at least one name", Error(spec));
    }

    [Fact]
    public void SeccompArchitecturesFlagsAndOperatorsMustBeKnown()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp { DefaultAction = "SCMP_ACT_ALLOW", Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] };
        Assert.Equal("config.json: linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"", Error(spec));

        spec.Linux.Seccomp = new LinuxSeccomp { DefaultAction = "SCMP_ACT_ALLOW", Flags = ["SECCOMP_FILTER_FLAG_FAST"] };
        Assert.Equal("config.json: linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"", Error(spec));

        spec.Linux.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = ["personality"], Action = "SCMP_ACT_ERRNO", Args = [new LinuxSeccompArg { Index = 0, Op = "SCMP_CMP_ABOUT" }] }],
        };
        Assert.Equal("config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"", Error(spec));
    }

    [Fact]
    public void SeccompArgIndexIsAtMost5()
    {
        var spec = Valid();
        spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = ["clone"], Action = "SCMP_ACT_ERRNO", Args = [new LinuxSeccompArg { Index = 6, Op = "SCMP_CMP_EQ" }] }],
        };
        Assert.Equal("config.json: linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument index (0..5)", Error(spec));
    }

    [Fact]
    public void MaskedPathsMustBeAbsolute()
    {
        var spec = Valid();
        spec.Linux!.MaskedPaths!.Add("proc/kcore");
        Assert.Equal("config.json: linux.maskedPaths[10]: \"proc/kcore\" is not an absolute path", Error(spec));
    }

    [Fact]
    public void ReadonlyPathsNeedAMountNamespace()
    {
        var spec = Valid();
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
        spec.Linux.MaskedPaths = null;
        Assert.Equal("config.json: linux.readonlyPaths: needs a mount namespace in linux.namespaces", Error(spec));
    }

    [Fact]
    public void MountLabelNeedsSelinuxOnTheHost()
    {
        var spec = Valid();
        spec.Linux!.MountLabel = "system_u:object_r:container_file_t:s0";
        Assert.Equal("config.json: linux.mountLabel: not supported on this host (no SELinux)", Error(spec));
        Ok(spec, HostWithLsm);
    }

    [Fact]
    public void IntelRdtIsRefused()
    {
        var spec = Parse("""
            {"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
             "linux":{"intelRdt":{"closID":"guaranteed_group"}}}
            """);
        Assert.Equal("config.json: linux.intelRdt: not supported (Berth has no Intel RDT support)", Error(spec));
    }

    [Fact]
    public void NullIntelRdtIsAbsent()
    {
        var spec = Parse("""
            {"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
             "linux":{"intelRdt":null}}
            """);
        Ok(spec);
    }

    [Fact]
    public void PersonalityDomainIsLinuxOrLinux32()
    {
        var spec = Valid();
        spec.Linux!.Personality = new LinuxPersonality { Domain = "LINUX32" };
        Ok(spec);
        spec.Linux.Personality.Domain = "SVR4";
        Assert.Equal("config.json: linux.personality.domain: unknown domain \"SVR4\" (want \"LINUX\" or \"LINUX32\")", Error(spec));
    }

    [Fact]
    public void PersonalityFlagsAreNotSupported()
    {
        var spec = Valid();
        spec.Linux!.Personality = new LinuxPersonality { Domain = "LINUX", Flags = ["ADDR_NO_RANDOMIZE"] };
        Assert.Equal("config.json: linux.personality.flags: no personality flags are supported", Error(spec));
    }

    [Fact]
    public void ControlCharactersAreEscapedInMessages()
    {
        var spec = Valid();
        spec.Process!.Cwd = "a\"b\n";
        Assert.Equal("config.json: process.cwd: \"a\\\"b\\u000a\" is not an absolute path", Error(spec));
    }
}
