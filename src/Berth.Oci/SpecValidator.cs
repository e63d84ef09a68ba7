using System.Globalization;
using System.Text.Json;

namespace Berth.Oci;

/// <summary>The namespace types of config-linux.md, as spelled in <c>linux.namespaces[].type</c>.</summary>
public static class NamespaceType
{
    public const string Pid = "pid";
    public const string Network = "network";
    public const string Mount = "mount";
    public const string Ipc = "ipc";
    public const string Uts = "uts";
    public const string User = "user";
    public const string Cgroup = "cgroup";
    public const string Time = "time";

    public static IReadOnlyList<string> All { get; } = [Cgroup, Ipc, Mount, Network, Pid, Time, User, Uts];
}

/// <summary>
/// Checks a config.json (or an exec process.json) before anything is created, so that a bad config
/// fails with a message naming the JSON field instead of an errno from deep inside container setup.
/// Every failure is a <see cref="SpecException"/> reading <c>document: field.path[i]: what is wrong</c>.
/// </summary>
/// <remarks>
/// The rules are the runtime-spec's MUSTs plus the checks runc makes before it creates anything
/// (libcontainer/configs/validate, specconv). Where runc only warns (relative mount destinations),
/// Berth refuses. Host facts (does the rootfs exist, is AppArmor/SELinux there, does the kernel have
/// user/cgroup/time namespaces) come from a path predicate, so tests are deterministic.
/// Mount options are parsed (and unsupported ones rejected) by Berth.Runtime.Mounts.MountOptions.
/// </remarks>
public static class SpecValidator
{
    public const string ConfigDocument = "config.json";

    /// <summary>The capability names of the kernel ABI (Berth.Linux's table: one list for the validator and the runtime).</summary>
    public static IReadOnlyList<string> CapabilityNames => Berth.Linux.Capabilities.Names;

    /// <summary>The rlimit names of the kernel ABI (Berth.Linux's table).</summary>
    public static IReadOnlyList<string> RlimitNames => Berth.Linux.Rlimits.Names;

    /// <summary>Values of <c>linux.rootfsPropagation</c> (the spec's four plus runc's recursive forms).</summary>
    public static IReadOnlyList<string> RootfsPropagations { get; } =
        ["shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"];

    public static IReadOnlyList<string> SchedulerPolicies { get; } =
        ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"];

    public static IReadOnlyList<string> SchedulerFlags { get; } =
    [
        "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
        "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX",
    ];

    public static IReadOnlyList<string> IoPriorityClasses { get; } = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"];

    /// <summary>The clocks a time namespace can offset (keys of <c>linux.timeOffsets</c>).</summary>
    public static IReadOnlyList<string> TimeOffsetClocks { get; } = ["boottime", "monotonic"];

    /// <summary>Where the host's LSMs show themselves; the validator asks the path predicate about these.</summary>
    public const string AppArmorPath = "/sys/kernel/security/apparmor";
    public const string SelinuxPath = "/sys/fs/selinux";

    // runc: the IPC-namespaced sysctls (plus the fs.mqueue.* prefix).
    private static readonly HashSet<string> s_ipcSysctls = new(StringComparer.Ordinal)
    {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    };

    /// <summary>Validates a config.json for create/run; <paramref name="bundlePath"/> resolves a relative root.path.</summary>
    public static void Validate(Spec spec, string bundlePath) => Validate(spec, bundlePath, Path.Exists);

    /// <summary>As <see cref="Validate(Spec, string)"/>, asking <paramref name="pathExists"/> about host paths.</summary>
    public static void Validate(Spec spec, string bundlePath, Func<string, bool> pathExists)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pathExists);
        var c = new Checker(ConfigDocument, pathExists);

        CheckVersion(c, spec.OciVersion);
        CheckRoot(c, spec.Root, bundlePath);
        if (spec.Process is null) c.Fail("process", "is required to create a container");
        CheckProcess(c, spec.Process, "process.");

        var ns = CheckNamespaces(c, spec.Linux?.Namespaces);
        CheckHostname(c, spec, ns);
        CheckMounts(c, spec.Mounts);
        CheckHooks(c, spec.Hooks);
        CheckAnnotations(c, spec.Annotations);
        if (spec.Linux is { } linux) CheckLinux(c, linux, ns);
    }

    /// <summary>
    /// Validates the process of an exec (process.json or one built from flags). <paramref name="field"/>
    /// names where it came from and prefixes every message: <c>process.json: cwd: …</c>.
    /// </summary>
    public static void Validate(Process process, string field) => Validate(process, field, Path.Exists);

    public static void Validate(Process process, string field, Func<string, bool> pathExists)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(pathExists);
        CheckProcess(new Checker(field, pathExists), process, "");
    }

    // ----- top level -------------------------------------------------------------------------

    private static void CheckVersion(Checker c, string version)
    {
        if (string.IsNullOrEmpty(version)) c.Fail("ociVersion", "is required");
        if (!TryParseMajor(version, out int major))
            c.Fail("ociVersion", $"\"{version}\" is not a semantic version (like \"{SpecVersion.Current}\")");
        if (major != 1)
            c.Fail("ociVersion", $"version \"{version}\" is not supported (this runtime implements 1.x, up to {SpecVersion.Current})");
    }

    // MAJOR.MINOR.PATCH[-prerelease][+build], numbers without leading zeros.
    private static bool TryParseMajor(string version, out int major)
    {
        major = -1;
        string core = version;
        int cut = core.IndexOfAny(['-', '+']);
        if (cut >= 0)
        {
            if (cut == core.Length - 1) return false;
            core = core[..cut];
        }
        string[] parts = core.Split('.');
        if (parts.Length != 3) return false;
        foreach (string part in parts)
        {
            if (part.Length == 0 || (part.Length > 1 && part[0] == '0')) return false;
            foreach (char ch in part)
            {
                if (!char.IsAsciiDigit(ch)) return false;
            }
        }
        return int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out major);
    }

    private static void CheckRoot(Checker c, Root? root, string bundlePath)
    {
        if (root is null) c.Fail("root", "is required");
        if (string.IsNullOrEmpty(root.Path)) c.Fail("root.path", "is required");
        c.NoNul("root.path", root.Path);
        string rootfs = Path.IsPathRooted(root.Path) ? root.Path : Path.Join(bundlePath, root.Path);
        if (!c.PathExists(rootfs)) c.Fail("root.path", $"{Quote(rootfs)} does not exist");
    }

    private static void CheckHostname(Checker c, Spec spec, Namespaces ns)
    {
        if (!string.IsNullOrEmpty(spec.Hostname))
        {
            if (!ns.Has(NamespaceType.Uts)) c.Fail("hostname", "cannot be set without a uts namespace in linux.namespaces");
            if (spec.Hostname.Length > 64) c.Fail("hostname", "is longer than 64 characters");
            c.NoNul("hostname", spec.Hostname);
        }
        if (!string.IsNullOrEmpty(spec.Domainname))
        {
            if (!ns.Has(NamespaceType.Uts)) c.Fail("domainname", "cannot be set without a uts namespace in linux.namespaces");
            if (spec.Domainname.Length > 64) c.Fail("domainname", "is longer than 64 characters");
            c.NoNul("domainname", spec.Domainname);
        }
    }

    private static void CheckMounts(Checker c, List<Mount>? mounts)
    {
        if (mounts is null) return;
        for (int i = 0; i < mounts.Count; i++)
        {
            Mount m = mounts[i];
            string at = $"mounts[{i}]";
            if (string.IsNullOrEmpty(m.Destination)) c.Fail($"{at}.destination", "is required");
            c.AbsoluteClean($"{at}.destination", m.Destination);
            if (m.Source is not null) c.NoNul($"{at}.source", m.Source);
            if (m.Type is not null) c.NoNul($"{at}.type", m.Type);

            bool bind = m.Options is not null && (m.Options.Contains("bind") || m.Options.Contains("rbind"));
            if (bind && string.IsNullOrEmpty(m.Source))
                c.Fail($"{at}.source", "is required for a bind mount");
            if (!bind && string.IsNullOrEmpty(m.Type))
                c.Fail($"{at}.type", "is required unless the options contain \"bind\" or \"rbind\"");
            if (m.UidMappings is not null)
                c.Fail($"{at}.uidMappings", "idmapped mounts are not supported");
            if (m.GidMappings is not null)
                c.Fail($"{at}.gidMappings", "idmapped mounts are not supported");
            if (m.Options is not null)
            {
                for (int j = 0; j < m.Options.Count; j++) c.NoNul($"{at}.options[{j}]", m.Options[j]);
            }
        }
    }

    private static void CheckHooks(Checker c, Hooks? hooks)
    {
        if (hooks is null) return;
        CheckHookList(c, "hooks.prestart", hooks.Prestart);
        CheckHookList(c, "hooks.createRuntime", hooks.CreateRuntime);
        CheckHookList(c, "hooks.createContainer", hooks.CreateContainer);
        CheckHookList(c, "hooks.startContainer", hooks.StartContainer);
        CheckHookList(c, "hooks.poststart", hooks.Poststart);
        CheckHookList(c, "hooks.poststop", hooks.Poststop);
    }

    private static void CheckHookList(Checker c, string at, List<Hook>? hooks)
    {
        if (hooks is null) return;
        for (int i = 0; i < hooks.Count; i++)
        {
            Hook h = hooks[i];
            if (string.IsNullOrEmpty(h.Path)) c.Fail($"{at}[{i}].path", "is required");
            if (!h.Path.StartsWith('/')) c.Fail($"{at}[{i}].path", $"{Quote(h.Path)} is not an absolute path");
            c.NoNul($"{at}[{i}].path", h.Path);
            if (h.Timeout is int t && t <= 0) c.Fail($"{at}[{i}].timeout", $"must be greater than zero, not {t}");
            CheckEnv(c, $"{at}[{i}].env", h.Env);
        }
    }

    private static void CheckAnnotations(Checker c, Dictionary<string, string>? annotations)
    {
        if (annotations is null) return;
        foreach (string key in annotations.Keys)
        {
            if (key.Length == 0) c.Fail("annotations", "keys must not be empty");
        }
    }

    // ----- process ---------------------------------------------------------------------------

    private static void CheckProcess(Checker c, Process p, string at)
    {
        if (p.Args is null or { Count: 0 })
        {
            if (string.IsNullOrEmpty(p.CommandLine)) c.Fail($"{at}args", "must not be empty");
        }
        else
        {
            if (string.IsNullOrEmpty(p.Args[0])) c.Fail($"{at}args[0]", "must not be empty");
            for (int i = 0; i < p.Args.Count; i++) c.NoNul($"{at}args[{i}]", p.Args[i]);
        }

        if (string.IsNullOrEmpty(p.Cwd)) c.Fail($"{at}cwd", "is required");
        if (!p.Cwd.StartsWith('/')) c.Fail($"{at}cwd", $"{Quote(p.Cwd)} is not an absolute path");
        c.NoNul($"{at}cwd", p.Cwd);

        CheckEnv(c, $"{at}env", p.Env);

        if (p.Capabilities is { } caps)
        {
            CheckCapabilities(c, $"{at}capabilities.bounding", caps.Bounding);
            CheckCapabilities(c, $"{at}capabilities.effective", caps.Effective);
            CheckCapabilities(c, $"{at}capabilities.inheritable", caps.Inheritable);
            CheckCapabilities(c, $"{at}capabilities.permitted", caps.Permitted);
            CheckCapabilities(c, $"{at}capabilities.ambient", caps.Ambient);
        }

        if (p.Rlimits is { } rlimits)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < rlimits.Count; i++)
            {
                PosixRlimit r = rlimits[i];
                if (!RlimitNames.Contains(r.Type)) c.Fail($"{at}rlimits[{i}].type", $"unknown rlimit {Quote(r.Type)}");
                if (!seen.Add(r.Type)) c.Fail($"{at}rlimits[{i}].type", $"duplicate rlimit {Quote(r.Type)}");
                if (r.Soft > r.Hard) c.Fail($"{at}rlimits[{i}]", $"soft limit {r.Soft} is greater than hard limit {r.Hard}");
            }
        }

        if (p.OomScoreAdj is int oom && oom is < -1000 or > 1000)
            c.Fail($"{at}oomScoreAdj", $"{oom} is outside -1000..1000");

        if (!string.IsNullOrEmpty(p.ApparmorProfile) && !c.PathExists(AppArmorPath))
            c.Fail($"{at}apparmorProfile", "not supported on this host (no AppArmor)");
        if (!string.IsNullOrEmpty(p.SelinuxLabel) && !c.PathExists(SelinuxPath))
            c.Fail($"{at}selinuxLabel", "not supported on this host (no SELinux)");

        if (p.IoPriority is { } io)
        {
            if (!IoPriorityClasses.Contains(io.Class))
                c.Fail($"{at}ioPriority.class", $"unknown class {Quote(io.Class)} (want {OneOf(IoPriorityClasses)})");
            if (io.Priority is < 0 or > 7)
                c.Fail($"{at}ioPriority.priority", $"{io.Priority} is outside 0..7");
        }

        if (p.Scheduler is { } s) CheckScheduler(c, s, $"{at}scheduler");

        if (p.ExecCpuAffinity is { } affinity)
        {
            if (affinity.Initial is not null && !IsCpuList(affinity.Initial))
                c.Fail($"{at}execCPUAffinity.initial", $"{Quote(affinity.Initial)} is not a CPU list like \"0-3,7\"");
            if (affinity.Final is not null && !IsCpuList(affinity.Final))
                c.Fail($"{at}execCPUAffinity.final", $"{Quote(affinity.Final)} is not a CPU list like \"0-3,7\"");
        }
    }

    private static void CheckEnv(Checker c, string at, List<string>? env)
    {
        if (env is null) return;
        for (int i = 0; i < env.Count; i++)
        {
            string kv = env[i];
            int eq = kv.IndexOf('=');
            if (eq < 0) c.Fail($"{at}[{i}]", $"{Quote(kv)} is not NAME=value");
            if (eq == 0) c.Fail($"{at}[{i}]", $"{Quote(kv)} has an empty name");
            c.NoNul($"{at}[{i}]", kv);
        }
    }

    private static void CheckCapabilities(Checker c, string at, List<string>? names)
    {
        if (names is null) return;
        for (int i = 0; i < names.Count; i++)
        {
            if (!CapabilityNames.Contains(names[i])) c.Fail($"{at}[{i}]", $"unknown capability {Quote(names[i])}");
        }
    }

    // sched(7), sched_setattr(2), and runc's validate.scheduler.
    private static void CheckScheduler(Checker c, LinuxScheduler s, string at)
    {
        if (string.IsNullOrEmpty(s.Policy)) c.Fail($"{at}.policy", "is required");
        if (!SchedulerPolicies.Contains(s.Policy))
            c.Fail($"{at}.policy", $"unknown policy {Quote(s.Policy)} (want {OneOf(SchedulerPolicies)})");
        if (s.Nice is < -20 or > 19) c.Fail($"{at}.nice", $"{s.Nice} is outside -20..19");

        bool realtime = s.Policy is "SCHED_FIFO" or "SCHED_RR";
        if (realtime && s.Priority is < 1 or > 99)
            c.Fail($"{at}.priority", $"{s.Priority} is outside 1..99 (required for {s.Policy})");
        if (!realtime && s.Priority != 0)
            c.Fail($"{at}.priority", "can only be set for SCHED_FIFO or SCHED_RR");
        if (s.Policy != "SCHED_DEADLINE" && (s.Runtime != 0 || s.Deadline != 0 || s.Period != 0))
            c.Fail(at, "runtime, deadline and period can only be set for SCHED_DEADLINE");

        if (s.Flags is { } flags)
        {
            for (int i = 0; i < flags.Count; i++)
            {
                if (!SchedulerFlags.Contains(flags[i])) c.Fail($"{at}.flags[{i}]", $"unknown flag {Quote(flags[i])}");
            }
        }
    }

    // The cpuset list format: "0-3,7,9-10".
    private static bool IsCpuList(string list)
    {
        if (list.Length == 0) return false;
        foreach (string item in list.Split(','))
        {
            int dash = item.IndexOf('-');
            string first = dash < 0 ? item : item[..dash];
            if (!TryParseCpu(first, out uint lo)) return false;
            if (dash >= 0 && (!TryParseCpu(item[(dash + 1)..], out uint hi) || hi < lo)) return false;
        }
        return true;
    }

    private static bool TryParseCpu(string s, out uint cpu)
        => uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out cpu);

    // ----- linux -----------------------------------------------------------------------------

    private static Namespaces CheckNamespaces(Checker c, List<LinuxNamespace>? list)
    {
        var ns = new Namespaces();
        if (list is null) return ns;
        for (int i = 0; i < list.Count; i++)
        {
            LinuxNamespace n = list[i];
            string at = $"linux.namespaces[{i}]";
            if (!NamespaceType.All.Contains(n.Type)) c.Fail($"{at}.type", $"unknown namespace type {Quote(n.Type)}");
            if (ns.Has(n.Type)) c.Fail($"{at}.type", $"duplicate namespace type {Quote(n.Type)}");
            if (!string.IsNullOrEmpty(n.Path))
            {
                if (!n.Path.StartsWith('/')) c.Fail($"{at}.path", $"{Quote(n.Path)} is not an absolute path");
                c.NoNul($"{at}.path", n.Path);
            }
            // The kernel files runc checks for before it tries to use these namespaces.
            string? probe = n.Type switch
            {
                NamespaceType.User => "/proc/self/ns/user",
                NamespaceType.Cgroup => "/proc/self/ns/cgroup",
                NamespaceType.Time => "/proc/self/timens_offsets",
                _ => null,
            };
            if (probe is not null && !c.PathExists(probe))
                c.Fail($"{at}.type", $"{n.Type} namespaces are not supported by this kernel ({probe} is missing)");
            ns.Add(n);
        }
        return ns;
    }

    private static void CheckLinux(Checker c, Linux linux, Namespaces ns)
    {
        CheckIdMappings(c, linux, ns);
        CheckTimeOffsets(c, linux, ns);
        CheckDevices(c, linux.Devices);
        CheckDeviceCgroup(c, linux.Resources?.Devices);

        if (linux.RootfsPropagation is { Length: > 0 } propagation && !RootfsPropagations.Contains(propagation))
            c.Fail("linux.rootfsPropagation", $"unknown propagation {Quote(propagation)} (want {OneOf(RootfsPropagations)})");

        if (linux.Sysctl is { } sysctl)
        {
            foreach (string key in sysctl.Keys) CheckSysctl(c, key, ns);
        }

        if (linux.Seccomp is { } seccomp) CheckSeccomp(c, seccomp);

        CheckPathList(c, "linux.maskedPaths", linux.MaskedPaths, ns);
        CheckPathList(c, "linux.readonlyPaths", linux.ReadonlyPaths, ns);

        if (!string.IsNullOrEmpty(linux.MountLabel) && !c.PathExists(SelinuxPath))
            c.Fail("linux.mountLabel", "not supported on this host (no SELinux)");

        if (linux.IntelRdt is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) })
            c.Fail("linux.intelRdt", "not supported (Berth has no Intel RDT support)");

        if (linux.Personality is { } personality)
        {
            if (personality.Domain is not ("LINUX" or "LINUX32"))
                c.Fail("linux.personality.domain", $"unknown domain {Quote(personality.Domain)} (want \"LINUX\" or \"LINUX32\")");
            if (personality.Flags is { Count: > 0 })
                c.Fail("linux.personality.flags", "no personality flags are supported");
        }
    }

    private static void CheckIdMappings(Checker c, Linux linux, Namespaces ns)
    {
        bool hasMappings = linux.UidMappings is { Count: > 0 } || linux.GidMappings is { Count: > 0 };
        if (!ns.Has(NamespaceType.User))
        {
            if (linux.UidMappings is { Count: > 0 }) c.Fail("linux.uidMappings", "set without a user namespace in linux.namespaces");
            if (linux.GidMappings is { Count: > 0 }) c.Fail("linux.gidMappings", "set without a user namespace in linux.namespaces");
            return;
        }
        if (ns.IsNew(NamespaceType.User))
        {
            if (linux.UidMappings is null or { Count: 0 }) c.Fail("linux.uidMappings", "a new user namespace needs uid mappings");
            if (linux.GidMappings is null or { Count: 0 }) c.Fail("linux.gidMappings", "a new user namespace needs gid mappings");
        }
        if (!hasMappings) return;
        CheckMappingList(c, "linux.uidMappings", linux.UidMappings);
        CheckMappingList(c, "linux.gidMappings", linux.GidMappings);
    }

    private static void CheckMappingList(Checker c, string at, List<LinuxIdMapping>? mappings)
    {
        if (mappings is null) return;
        for (int i = 0; i < mappings.Count; i++)
        {
            LinuxIdMapping m = mappings[i];
            if (m.Size == 0) c.Fail($"{at}[{i}].size", "must be at least 1");
            if ((ulong)m.ContainerId + m.Size > 1UL << 32 || (ulong)m.HostId + m.Size > 1UL << 32)
                c.Fail($"{at}[{i}]", "range goes past the largest id (4294967295)");
        }
    }

    private static void CheckTimeOffsets(Checker c, Linux linux, Namespaces ns)
    {
        if (linux.TimeOffsets is not { Count: > 0 } offsets) return;
        if (!ns.Has(NamespaceType.Time)) c.Fail("linux.timeOffsets", "set without a time namespace in linux.namespaces");
        if (!ns.IsNew(NamespaceType.Time)) c.Fail("linux.timeOffsets", "cannot change the clocks of a joined time namespace");
        foreach ((string clock, LinuxTimeOffset offset) in offsets)
        {
            if (!TimeOffsetClocks.Contains(clock))
                c.Fail($"linux.timeOffsets[{Quote(clock)}]", $"unknown clock (want {OneOf(TimeOffsetClocks)})");
            if (offset.Nanosecs >= 1_000_000_000)
                c.Fail($"linux.timeOffsets[{Quote(clock)}].nanosecs", $"{offset.Nanosecs} is not below one second");
        }
    }

    private static void CheckDevices(Checker c, List<LinuxDevice>? devices)
    {
        if (devices is null) return;
        for (int i = 0; i < devices.Count; i++)
        {
            LinuxDevice d = devices[i];
            string at = $"linux.devices[{i}]";
            if (d.Type is not ("c" or "b" or "u" or "p"))
                c.Fail($"{at}.type", $"unknown device type {Quote(d.Type)} (want \"c\", \"b\", \"u\" or \"p\")");
            if (string.IsNullOrEmpty(d.Path)) c.Fail($"{at}.path", "is required");
            c.AbsoluteClean($"{at}.path", d.Path);
        }
    }

    private static void CheckDeviceCgroup(Checker c, List<LinuxDeviceCgroup>? rules)
    {
        if (rules is null) return;
        for (int i = 0; i < rules.Count; i++)
        {
            LinuxDeviceCgroup r = rules[i];
            string at = $"linux.resources.devices[{i}]";
            if (r.Type is not (null or "" or "a" or "c" or "b"))
                c.Fail($"{at}.type", $"unknown device type {Quote(r.Type)} (want \"a\", \"c\" or \"b\")");
            if (string.IsNullOrEmpty(r.Access)) c.Fail($"{at}.access", "is required (a combination of r, w and m)");
            foreach (char ch in r.Access)
            {
                if (ch is not ('r' or 'w' or 'm')) c.Fail($"{at}.access", $"{Quote(r.Access)} is not a combination of r, w and m");
            }
        }
    }

    // runc validate.sysctl: /proc/sys is only partly namespaced, so only the keys of namespaces the
    // container has of its own can be set.
    private static void CheckSysctl(Checker c, string key, Namespaces ns)
    {
        string at = $"linux.sysctl[{Quote(key)}]";
        string s = ToDotSeparated(key);
        if (s_ipcSysctls.Contains(s) || s.StartsWith("fs.mqueue.", StringComparison.Ordinal))
        {
            if (!ns.Has(NamespaceType.Ipc)) c.Fail(at, "needs an ipc namespace in linux.namespaces (not allowed in the host's)");
            return;
        }
        if (s.StartsWith("net.", StringComparison.Ordinal))
        {
            if (!ns.Has(NamespaceType.Network)) c.Fail(at, "needs a network namespace in linux.namespaces (not allowed in the host's)");
            return;
        }
        if (ns.Has(NamespaceType.Uts))
        {
            if (s == "kernel.domainname") return;
            if (s == "kernel.hostname") c.Fail(at, "not allowed: use the \"hostname\" field");
        }
        c.Fail(at, "not namespaced: it would change the host (allowed: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* with ipc; net.* with network; kernel.domainname with uts)");
    }

    // sysctl(8) accepts '/' as the separator; then '.' may appear inside a component
    // ("net/ipv4/conf/eno2.100/rp_filter" is "net.ipv4.conf.eno2/100.rp_filter").
    private static string ToDotSeparated(string key)
    {
        int first = key.IndexOfAny(['.', '/']);
        if (first < 0 || key[first] == '.') return key;
        return string.Create(key.Length, key, static (span, k) =>
        {
            for (int i = 0; i < k.Length; i++) span[i] = k[i] switch { '.' => '/', '/' => '.', char ch => ch };
        });
    }

    private static void CheckSeccomp(Checker c, LinuxSeccomp s)
    {
        const string at = "linux.seccomp";
        if (string.IsNullOrEmpty(s.DefaultAction)) c.Fail($"{at}.defaultAction", "is required");
        CheckSeccompAction(c, $"{at}.defaultAction", s.DefaultAction);
        if (s.DefaultAction == SeccompNames.ActNotify)
            c.Fail($"{at}.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
        if (s.DefaultErrnoRet is not null && !SeccompNames.TakesErrno(s.DefaultAction))
            c.Fail($"{at}.defaultErrnoRet", $"{s.DefaultAction} does not return an errno");

        if (s.Architectures is { } archs)
        {
            for (int i = 0; i < archs.Count; i++)
            {
                if (!SeccompNames.Architectures.Contains(archs[i])) c.Fail($"{at}.architectures[{i}]", $"unknown architecture {Quote(archs[i])}");
            }
        }
        if (s.Flags is { } flags)
        {
            for (int i = 0; i < flags.Count; i++)
            {
                if (!SeccompNames.Flags.Contains(flags[i])) c.Fail($"{at}.flags[{i}]", $"unknown flag {Quote(flags[i])}");
            }
        }
        if (!string.IsNullOrEmpty(s.ListenerMetadata) && string.IsNullOrEmpty(s.ListenerPath))
            c.Fail($"{at}.listenerMetadata", "set without listenerPath");

        if (s.Syscalls is not { } syscalls) return;
        for (int i = 0; i < syscalls.Count; i++)
        {
            LinuxSyscall call = syscalls[i];
            string sat = $"{at}.syscalls[{i}]";
            if (call.Names is null or { Count: 0 }) c.Fail($"{sat}.names", "must contain at least one name");
            for (int j = 0; j < call.Names.Count; j++)
            {
                if (string.IsNullOrEmpty(call.Names[j])) c.Fail($"{sat}.names[{j}]", "must not be empty");
            }
            if (string.IsNullOrEmpty(call.Action)) c.Fail($"{sat}.action", "is required");
            CheckSeccompAction(c, $"{sat}.action", call.Action);
            if (call.ErrnoRet is not null && !SeccompNames.TakesErrno(call.Action))
                c.Fail($"{sat}.errnoRet", $"{call.Action} does not return an errno");
            if (call.Action == SeccompNames.ActNotify)
            {
                if (string.IsNullOrEmpty(s.ListenerPath))
                    c.Fail($"{sat}.action", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
                if (call.Names.Contains("write"))
                    c.Fail($"{sat}.action", "SCMP_ACT_NOTIFY cannot be used for \"write\" (the runtime needs it to hand over the listener)");
            }
            if (call.Args is not { } args) continue;
            for (int j = 0; j < args.Count; j++)
            {
                if (args[j].Index > 5) c.Fail($"{sat}.args[{j}].index", $"{args[j].Index} is not a syscall argument index (0..5)");
                if (!SeccompNames.Operators.Contains(args[j].Op))
                    c.Fail($"{sat}.args[{j}].op", $"unknown operator {Quote(args[j].Op)}");
            }
        }
    }

    private static void CheckSeccompAction(Checker c, string at, string action)
    {
        if (!SeccompNames.Actions.Contains(action)) c.Fail(at, $"unknown action {Quote(action)}");
    }

    private static void CheckPathList(Checker c, string at, List<string>? paths, Namespaces ns)
    {
        if (paths is not { Count: > 0 }) return;
        if (!ns.Has(NamespaceType.Mount)) c.Fail(at, "needs a mount namespace in linux.namespaces");
        for (int i = 0; i < paths.Count; i++) c.AbsoluteClean($"{at}[{i}]", paths[i]);
    }

    // ----- helpers ---------------------------------------------------------------------------

    /// <summary>A value in double quotes, with quotes, backslashes and control characters escaped as in JSON.</summary>
    private static string Quote(string? s)
    {
        var sb = new System.Text.StringBuilder((s?.Length ?? 0) + 2).Append('"');
        foreach (char ch in s ?? "")
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case < ' ': sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static string OneOf(IReadOnlyList<string> values) => string.Join(", ", values);

    /// <summary>The namespaces a config asks for: which types, and whether each is new or joined.</summary>
    private sealed class Namespaces
    {
        private readonly Dictionary<string, LinuxNamespace> _byType = new(StringComparer.Ordinal);

        public void Add(LinuxNamespace ns) => _byType[ns.Type] = ns;

        public bool Has(string type) => _byType.ContainsKey(type);

        /// <summary>Created for the container (no path to join).</summary>
        public bool IsNew(string type) => _byType.TryGetValue(type, out var ns) && string.IsNullOrEmpty(ns.Path);
    }

    private sealed class Checker(string document, Func<string, bool> pathExists)
    {
        public bool PathExists(string path) => pathExists(path);

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(string field, string message)
            => throw new SpecException(field.Length == 0 ? $"{document}: {message}" : $"{document}: {field}: {message}");

        public void NoNul(string field, string value)
        {
            if (value.Contains('\0')) Fail(field, "contains a NUL byte");
        }

        /// <summary>An absolute path with no ".." component (the runtime resolves it inside the rootfs).</summary>
        public void AbsoluteClean(string field, string path)
        {
            if (!path.StartsWith('/')) Fail(field, $"{Quote(path)} is not an absolute path");
            foreach (string part in path.Split('/'))
            {
                if (part == "..") Fail(field, $"{Quote(path)} must not contain \"..\"");
            }
            NoNul(field, path);
        }
    }
}
