namespace Berth.Oci;

/// <summary>
/// The starter config.json of <c>berth spec</c>: the same document <c>runc spec</c> writes
/// (libcontainer/specconv Example and ToRootless), with hostname "berth".
/// </summary>
public static class DefaultSpec
{
    public const string Hostname = "berth";

    private static readonly string[] s_capabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

    /// <summary>
    /// The default spec; with <paramref name="rootless"/>, the variant for an unprivileged user, mapping
    /// root in the container to the caller's effective uid/gid (read from /proc/self/status).
    /// </summary>
    public static Spec Create(bool rootless)
    {
        if (!rootless) return Create();
        (uint uid, uint gid) = CurrentIds();
        return CreateRootless(uid, gid);
    }

    /// <summary>The default (root) spec.</summary>
    public static Spec Create() => new()
    {
        OciVersion = SpecVersion.Current,
        Root = new Root { Path = "rootfs", Readonly = true },
        Process = new Process
        {
            Terminal = true,
            User = new User { Uid = 0, Gid = 0 },
            Args = ["sh"],
            Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            Cwd = "/",
            Capabilities = new LinuxCapabilities
            {
                Bounding = [.. s_capabilities],
                Effective = [.. s_capabilities],
                Permitted = [.. s_capabilities],
            },
            Rlimits = [new PosixRlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
            NoNewPrivileges = true,
        },
        Hostname = Hostname,
        Mounts =
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
            new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new Mount { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
            new Mount { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
            new Mount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
            new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", "ro"] },
        ],
        Linux = new Linux
        {
            Resources = new LinuxResources
            {
                Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }],
            },
            Namespaces =
            [
                new LinuxNamespace { Type = NamespaceType.Pid },
                new LinuxNamespace { Type = NamespaceType.Network },
                new LinuxNamespace { Type = NamespaceType.Ipc },
                new LinuxNamespace { Type = NamespaceType.Uts },
                new LinuxNamespace { Type = NamespaceType.Mount },
                new LinuxNamespace { Type = NamespaceType.Cgroup },
            ],
            MaskedPaths =
            [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    };

    /// <summary>
    /// The rootless variant: a user namespace mapping container root to <paramref name="hostUid"/>/
    /// <paramref name="hostGid"/>, no network namespace (an unprivileged user could not configure one),
    /// /sys bind-mounted from the host (sysfs cannot be mounted without owning a network namespace),
    /// no cgroup mount and no resources (an unprivileged user cannot be trusted to have a delegated
    /// cgroup), and no uid=/gid= mount options (those ids are not mapped).
    /// </summary>
    public static Spec CreateRootless(uint hostUid, uint hostGid)
    {
        Spec spec = Create();
        Linux linux = spec.Linux!;

        linux.Namespaces!.RemoveAll(n => n.Type is NamespaceType.Network or NamespaceType.User);
        linux.Namespaces.Add(new LinuxNamespace { Type = NamespaceType.User });
        linux.UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = hostUid, Size = 1 }];
        linux.GidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = hostGid, Size = 1 }];

        var mounts = new List<Mount>();
        foreach (Mount m in spec.Mounts!)
        {
            if (m.Destination == "/sys")
            {
                mounts.Add(new Mount { Destination = "/sys", Type = "none", Source = "/sys", Options = ["rbind", "nosuid", "noexec", "nodev", "ro"] });
                continue;
            }
            if (m.Destination == "/sys/fs/cgroup") continue;
            m.Options?.RemoveAll(o => o.StartsWith("uid=", StringComparison.Ordinal) || o.StartsWith("gid=", StringComparison.Ordinal));
            mounts.Add(m);
        }
        spec.Mounts = mounts;

        linux.Resources = null;
        return spec;
    }

    // The effective ids, the second column of the Uid:/Gid: lines of proc_pid_status(5).
    private static (uint Uid, uint Gid) CurrentIds()
    {
        uint? uid = null, gid = null;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = EffectiveId(line);
            else if (line.StartsWith("Gid:", StringComparison.Ordinal)) gid = EffectiveId(line);
        }
        if (uid is null || gid is null) throw new InvalidOperationException("/proc/self/status has no Uid:/Gid: lines");
        return (uid.Value, gid.Value);
    }

    private static uint EffectiveId(string line)
    {
        string[] fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
        return uint.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
    }
}
