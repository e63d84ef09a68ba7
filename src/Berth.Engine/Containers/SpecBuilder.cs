using Berth.Engine.Defaults;
using Berth.Engine.Model;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Rootfs;

namespace Berth.Engine.Containers;

/// <summary>
/// A container of the engine's model → the OCI runtime spec for one start, with Docker's defaults:
/// its capability set and seccomp profile, masked and read-only /proc paths, a 64 MB /dev/shm, and
/// the container's own hostname, hosts and resolv.conf files bound in.
/// </summary>
public static class SpecBuilder
{
    public const long DefaultShmSize = 64L << 20;
    private const ulong DefaultCpuPeriod = 100_000;

    public sealed record Paths(string Rootfs, string HostnameFile, string HostsFile, string ResolvConfFile, string? InitBinary);

    /// <param name="mounts">The container's own mounts (binds, volumes, tmpfs), resolved to OCI form.</param>
    public static Spec Build(Container c, Paths paths, IReadOnlyList<Mount> mounts)
    {
        var host = c.HostConfig;
        var config = c.Config;
        bool privileged = host.Privileged;
        var caps = DockerDefaults.ResolveCapabilities(host.CapAdd, host.CapDrop, privileged);
        // Only what was added beyond docker's set can fall outside the host's bounding set.
        if (privileged || host.CapAdd is { Count: > 0 })
            caps = WithinBoundingSet(caps, privileged || host.CapAdd?.Any(c => c.Equals("ALL", StringComparison.OrdinalIgnoreCase)) == true);
        var security = SecuritySettings.Parse(host.SecurityOpt);

        var args = new List<string> { c.Path };
        args.AddRange(c.Args);
        var mountList = new List<Mount>();
        if (host.Init == true)
        {
            if (paths.InitBinary is null) throw new InvalidOperationException("--init: no init binary found (install the tini package)");
            args.Insert(0, "--");
            args.Insert(0, "/sbin/docker-init");
        }

        var (uid, gid, extraGids) = UserLookup.Resolve(paths.Rootfs, config.User, host.GroupAdd);
        var env = new List<string>(config.Env ?? []);
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            env.Insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (host.UTSMode != "host") env.Add("HOSTNAME=" + config.Hostname);
        if (config.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm");

        var spec = new Spec
        {
            OciVersion = SpecVersion.Current,
            Root = new Root { Path = paths.Rootfs, Readonly = host.ReadonlyRootfs },
            Hostname = host.UTSMode == "host" ? null : config.Hostname,
            Domainname = host.UTSMode == "host" || config.Domainname.Length == 0 ? null : config.Domainname,
            Process = new Process
            {
                Terminal = config.Tty,
                Args = args,
                Env = env,
                Cwd = config.WorkingDir.Length > 0 ? config.WorkingDir : "/",
                User = new User { Uid = uid, Gid = gid, AdditionalGids = extraGids.Count > 0 ? extraGids : null },
                Capabilities = new LinuxCapabilities { Bounding = caps, Effective = caps, Permitted = [.. caps] },
                Rlimits = host.Ulimits?.Select(u => new PosixRlimit
                {
                    Type = "RLIMIT_" + u.Name.ToUpperInvariant(), Soft = (ulong)u.Soft, Hard = (ulong)u.Hard,
                }).ToList(),
                NoNewPrivileges = security.NoNewPrivileges,
                OomScoreAdj = host.OomScoreAdj != 0 ? host.OomScoreAdj : null,
            },
            Mounts = mountList,
            Annotations = new() { ["org.berth.container.name"] = c.PlainName },
            Linux = new Oci.Linux
            {
                CgroupsPath = (host.CgroupParent.Length > 0 ? host.CgroupParent.TrimEnd('/') : "/berth") + "/" + c.Id,
                Namespaces = Namespaces(host),
                MaskedPaths = privileged ? null : host.MaskedPaths ?? [.. DockerDefaults.MaskedPaths],
                ReadonlyPaths = privileged ? null : host.ReadonlyPaths ?? [.. DockerDefaults.ReadonlyPaths],
                Sysctl = host.Sysctls,
                Resources = Resources(host),
                Devices = Devices(host.Devices),
                Seccomp = privileged || security.Seccomp == "unconfined" ? null
                    : security.SeccompProfile is { } profile ? DockerSeccompProfile.FromDockerProfile(profile, caps)
                    : DockerSeccompProfile.Default(caps),
                RootfsPropagation = "rprivate",
            },
        };

        if (c.UsernsRange is { } range)
        {
            spec.Linux.Namespaces!.Insert(0, new LinuxNamespace { Type = "user" });
            spec.Linux.UidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = range.HostId, Size = range.Size }];
            spec.Linux.GidMappings = [new LinuxIdMapping { ContainerId = 0, HostId = range.HostId, Size = range.Size }];
        }
        string sysMode = privileged ? "rw" : "ro";
        mountList.AddRange(
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new Mount { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            new Mount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", sysMode] },
            new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", security.WritableCgroups ? "rw" : sysMode] },
            new Mount { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
        ]);
        if (host.IpcMode != "host")
        {
            long shm = host.ShmSize > 0 ? host.ShmSize : DefaultShmSize;
            mountList.Add(new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", $"size={shm}"] });
        }
        // docker binds these read-write unless the root is read-only; they are the container's own files.
        string rw = host.ReadonlyRootfs ? "ro" : "rw";
        bool userSets(string dst) => mounts.Any(m => m.Destination == dst);
        if (!userSets("/etc/resolv.conf")) mountList.Add(Bind(paths.ResolvConfFile, "/etc/resolv.conf", rw));
        if (host.UTSMode != "host" && !userSets("/etc/hostname")) mountList.Add(Bind(paths.HostnameFile, "/etc/hostname", rw));
        if (!userSets("/etc/hosts")) mountList.Add(Bind(paths.HostsFile, "/etc/hosts", rw));
        if (host.Init == true) mountList.Add(Bind(paths.InitBinary!, "/sbin/docker-init", "ro"));
        mountList.AddRange(mounts);
        return spec;
    }

    /// <summary>
    /// Capabilities this process's bounding set lacks (CAP_SYS_RESOURCE on some hosts) cannot be
    /// granted: "all" means all this host can give; one asked for by name is a clear error.
    /// </summary>
    private static List<string> WithinBoundingSet(List<string> caps, bool all)
    {
        if (RawFile.TryReadText("/proc/self/status", out string status) != 0) return caps;
        string? line = status.Split('\n').FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        if (line is null) return caps;
        var bounding = Capabilities.NamesOf(Convert.ToUInt64(line[7..].Trim(), 16)).ToHashSet();
        var missing = caps.Where(c => !bounding.Contains(c)).ToList();
        if (missing.Count == 0) return caps;
        if (all) return caps.Where(bounding.Contains).ToList();
        throw new ContainerException($"{missing[0]} is not in this host's capability bounding set: it cannot be granted");
    }

    private static Mount Bind(string source, string destination, string mode) =>
        new() { Destination = destination, Type = "bind", Source = source, Options = ["rbind", "rprivate", mode] };

    private static List<LinuxNamespace> Namespaces(HostConfig host)
    {
        var list = new List<LinuxNamespace> { new() { Type = "mount" } };
        if (host.PidMode != "host") list.Add(new() { Type = "pid" });
        if (host.IpcMode != "host") list.Add(new() { Type = "ipc" });
        if (host.UTSMode != "host") list.Add(new() { Type = "uts" });
        if (host.NetworkMode != "host") list.Add(new() { Type = "network" });
        // docker's default: a private cgroup namespace on cgroup v2, the host's on v1 (this hybrid host).
        bool privateCgroupNs = host.CgroupnsMode == "private" || (host.CgroupnsMode.Length == 0 && File.Exists("/sys/fs/cgroup/cgroup.controllers"));
        if (privateCgroupNs) list.Add(new() { Type = "cgroup" });
        return list;
    }

    public static LinuxResources Resources(HostConfig host)
    {
        var r = new LinuxResources();
        if (host.Memory > 0 || host.MemoryReservation > 0 || host.MemorySwap != 0 || host.OomKillDisable == true || host.MemorySwappiness is >= 0)
        {
            r.Memory = new LinuxMemory
            {
                Limit = host.Memory > 0 ? host.Memory : null,
                Reservation = host.MemoryReservation > 0 ? host.MemoryReservation : null,
                // docker: -1 unlimited swap; unset with a limit gives twice the limit (memory + as much swap).
                Swap = host.MemorySwap != 0 ? host.MemorySwap : host.Memory > 0 ? host.Memory * 2 : null,
                DisableOomKiller = host.OomKillDisable == true ? true : null,
                Swappiness = host.MemorySwappiness is >= 0 and var s ? (ulong)s : null,
            };
        }
        if (host.CpuShares > 0 || host.CpuQuota != 0 || host.CpuPeriod > 0 || host.NanoCpus > 0 || host.CpusetCpus.Length > 0 || host.CpusetMems.Length > 0)
        {
            var cpu = new LinuxCpu
            {
                Shares = host.CpuShares > 0 ? (ulong)host.CpuShares : null,
                Cpus = host.CpusetCpus.Length > 0 ? host.CpusetCpus : null,
                Mems = host.CpusetMems.Length > 0 ? host.CpusetMems : null,
            };
            if (host.NanoCpus > 0)
            {
                cpu.Period = DefaultCpuPeriod;
                cpu.Quota = host.NanoCpus * (long)DefaultCpuPeriod / 1_000_000_000;
            }
            else
            {
                if (host.CpuQuota != 0) cpu.Quota = host.CpuQuota;
                if (host.CpuPeriod > 0) cpu.Period = (ulong)host.CpuPeriod;
            }
            r.Cpu = cpu;
        }
        if (host.PidsLimit is { } pids && pids != 0) r.Pids = new LinuxPids { Limit = pids < 0 ? -1 : pids };
        if (host.BlkioWeight > 0 || host.BlkioDeviceReadBps is { Count: > 0 } || host.BlkioDeviceWriteBps is { Count: > 0 }
            || host.BlkioDeviceReadIOps is { Count: > 0 } || host.BlkioDeviceWriteIOps is { Count: > 0 })
        {
            r.BlockIo = new LinuxBlockIo
            {
                Weight = host.BlkioWeight > 0 ? host.BlkioWeight : null,
                ThrottleReadBpsDevice = Throttles(host.BlkioDeviceReadBps),
                ThrottleWriteBpsDevice = Throttles(host.BlkioDeviceWriteBps),
                ThrottleReadIopsDevice = Throttles(host.BlkioDeviceReadIOps),
                ThrottleWriteIopsDevice = Throttles(host.BlkioDeviceWriteIOps),
            };
        }
        if (host.Privileged) r.Devices = [new LinuxDeviceCgroup { Allow = true, Access = "rwm" }];
        else if (host.Devices is { Count: > 0 } devices)
        {
            r.Devices = [];
            foreach (var d in devices)
            {
                var (type, major, minor) = DeviceNumbers(d.PathOnHost);
                r.Devices.Add(new LinuxDeviceCgroup { Allow = true, Type = type, Major = major, Minor = minor, Access = d.CgroupPermissions });
            }
        }
        return r;
    }

    private static List<LinuxThrottleDevice>? Throttles(List<ThrottleDevice>? list) =>
        list is null or { Count: 0 } ? null : list.Select(t =>
        {
            var (_, major, minor) = DeviceNumbers(t.Path);
            return new LinuxThrottleDevice { Major = major, Minor = minor, Rate = t.Rate };
        }).ToList();

    private static List<LinuxDevice>? Devices(List<DeviceMapping>? list)
    {
        if (list is null or { Count: 0 }) return null;
        var result = new List<LinuxDevice>();
        foreach (var d in list)
        {
            var (type, major, minor) = DeviceNumbers(d.PathOnHost, out uint permissions);
            result.Add(new LinuxDevice
            {
                Path = d.PathInContainer.Length > 0 ? d.PathInContainer : d.PathOnHost, Type = type, Major = major, Minor = minor,
                FileMode = permissions, Uid = 0, Gid = 0,
            });
        }
        return result;
    }

    /// <summary>The type ("c" or "b") and numbers of a device node on the host.</summary>
    public static (string Type, long Major, long Minor) DeviceNumbers(string path) => DeviceNumbers(path, out _);

    private static (string Type, long Major, long Minor) DeviceNumbers(string path, out uint permissions)
    {
        if (Libc.statx(Libc.AT_FDCWD, path, 0, Libc.STATX_TYPE | Libc.STATX_MODE, out var st) < 0)
            throw new ArgumentException($"error gathering device information while adding custom device \"{path}\": no such file or directory");
        if (st.Type != Libc.S_IFCHR && st.Type != Libc.S_IFBLK) throw new ArgumentException($"error gathering device information while adding custom device \"{path}\": not a device node");
        permissions = st.Permissions;
        return (st.Type == Libc.S_IFCHR ? "c" : "b", st.stx_rdev_major, st.stx_rdev_minor);
    }
}
