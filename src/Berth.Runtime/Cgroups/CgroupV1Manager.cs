using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>cgroup v1: one directory per mounted hierarchy (controllers mounted together share one).
/// Named hierarchies (name=systemd) are not joined. See <see cref="ICgroupManager"/> for the contract.</summary>
public sealed class CgroupV1Manager : ICgroupManager
{
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    private readonly CgroupLayout _layout;
    private readonly bool _ownsLeaf;
    private readonly Dictionary<string, string> _directories = new(StringComparer.Ordinal);
    private readonly List<string> _created = [];
    private readonly List<string> _notes = [];
    private bool _createCalled;

    public CgroupV1Manager(CgroupLayout layout, string path, bool ownsLeaf = true)
    {
        if (layout.V1.Count == 0) throw new InvalidOperationException("no cgroup v1 controller is mounted");
        _layout = layout;
        _ownsLeaf = ownsLeaf;
        Path = path;
        foreach (var (controller, mount) in layout.V1)
            _directories[controller] = CgroupOps.DirectoryOf(mount.MountPoint, path);
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Directories => _directories;
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>The directory of the container's cgroup in the hierarchy of <paramref name="controller"/>, if mounted.</summary>
    public string? DirectoryOf(string controller) => _directories.GetValueOrDefault(controller);

    private IEnumerable<CgroupMount> Mounts => _layout.V1Mounts;

    public void Create()
    {
        _createCalled = true;
        foreach (var mount in Mounts)
            CgroupOps.RefuseForeignLeaf(Path, CgroupOps.DirectoryOf(mount.MountPoint, Path));
        foreach (var mount in Mounts)
        {
            _created.AddRange(CgroupOps.MakeChain(mount.MountPoint, Path));
            if (mount.Controllers.Contains("cpuset")) InitCpuset(mount.MountPoint);
        }
    }

    /// <summary>A new v1 cpuset has empty cpus and mems, and a cgroup with empty ones cannot take a
    /// process (ENOSPC). Copy the parent's values down, top first, into Berth's own cgroups.</summary>
    private void InitCpuset(string mountPoint)
    {
        foreach (var level in CgroupPath.Chain(Path))
        {
            string dir = CgroupOps.DirectoryOf(mountPoint, level);
            if (!CgroupOps.IsBerths(level, dir, _created)) continue;
            string parent = System.IO.Path.GetDirectoryName(dir)!;
            foreach (var file in (string[])["cpuset.cpus", "cpuset.mems"])
            {
                string own = System.IO.Path.Combine(dir, file);
                if (CgroupFile.Read(own).Trim().Length > 0) continue;
                string inherited = CgroupFile.Read(System.IO.Path.Combine(parent, file)).Trim();
                CgroupFile.Write(own, inherited);
            }
        }
    }

    public void Apply(LinuxResources resources) => Write(resources);

    public void Update(LinuxResources resources) => Write(resources);

    private void Write(LinuxResources resources)
    {
        _notes.Clear();
        var writes = CgroupResourceMap.MapV1(resources, _notes);
        var batch = new List<(CgroupWrite, string)>(writes.Count);
        foreach (var w in writes)
        {
            if (!_directories.TryGetValue(w.Controller, out var dir))
                throw new SpecException($"{w.Field}: the {w.Controller} controller is not mounted on this host (cgroup v1)");
            batch.Add((w, dir));
        }
        CgroupOps.WriteAll(batch);
    }

    public void AddProcess(int pid)
    {
        foreach (var mount in Mounts)
            CgroupFile.Write(System.IO.Path.Combine(CgroupOps.DirectoryOf(mount.MountPoint, Path), "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private string FreezerState => System.IO.Path.Combine(RequireFreezer(), "freezer.state");

    private string RequireFreezer()
        => _directories.GetValueOrDefault("freezer") ?? throw new NotSupportedException("the freezer controller is not mounted on this host (cgroup v1)");

    public bool HasFreezer => _directories.ContainsKey("freezer");

    public bool IsFrozen => HasFreezer && CgroupFile.Read(FreezerState).Trim() == "FROZEN";

    public void Freeze() => SetFreezerState("FROZEN");

    public void Thaw() => SetFreezerState("THAWED");

    /// <summary>Writes the state and waits until freezer.state shows it (FREEZING is the way to FROZEN;
    /// the write is repeated now and then, as the kernel may need another attempt for tasks that were busy).</summary>
    private void SetFreezerState(string state)
    {
        string file = FreezerState;
        CgroupFile.Write(file, state);
        if (CgroupOps.WaitUntil(() => CgroupFile.Read(file).Trim() == state, FreezeTimeout, () => CgroupFile.Write(file, state))) return;
        string actual = CgroupFile.Read(file).Trim();
        if (state == "FROZEN") CgroupFile.Write(file, "THAWED"); // do not leave it half-frozen
        throw new SyscallException(Errno.EBUSY, $"write \"{state}\" to {file}: still {actual} after {FreezeTimeout.TotalSeconds:0} s");
    }

    /// <summary>The freezer's (or else the pids controller's, or any) hierarchy: every process of the container is there.</summary>
    private string ProcessDirectory =>
        _directories.GetValueOrDefault("freezer") ?? _directories.GetValueOrDefault("pids") ?? _directories.Values.First();

    public IReadOnlyList<int> GetPids() => CgroupOps.ReadPids(ProcessDirectory, recursive: true);

    public void KillAll(int signal)
    {
        if (!HasFreezer)
        {
            CgroupOps.Signal(GetPids(), signal);
            return;
        }
        bool wasFrozen = IsFrozen;
        Freeze();
        try
        {
            CgroupOps.Signal(GetPids(), signal);
        }
        finally
        {
            // A frozen task does not act on SIGKILL until thawed; any other signal leaves a paused container paused.
            if (!wasFrozen || signal == CgroupOps.SIGKILL) Thaw();
        }
    }

    public void Destroy()
    {
        var errors = new List<Exception>();
        foreach (var mount in Mounts)
            CgroupOps.RemoveChain(mount.MountPoint, Path, CgroupOps.MayRemoveLeaf(Path, CgroupOps.DirectoryOf(mount.MountPoint, Path), _createCalled, _ownsLeaf, _created), _created, errors);
        CgroupOps.ThrowAll(errors, $"removing cgroup {Path}");
    }

    public ulong OomKilledCount()
        => _directories.TryGetValue("memory", out var dir)
            ? CgroupFile.ReadKeyValues(System.IO.Path.Combine(dir, "memory.oom_control")).GetValueOrDefault("oom_kill")
            : 0;

    public CgroupStats Stats()
    {
        var stats = new CgroupStats();
        if (_directories.TryGetValue("cpuacct", out var cpuacct))
        {
            var usage = stats.Cpu.Usage;
            usage.Total = CgroupFile.ReadUInt64OrZero(F(cpuacct, "cpuacct.usage"));
            if (CgroupFile.TryRead(F(cpuacct, "cpuacct.usage_percpu")) is { } percpu) usage.Percpu = CgroupStatsParser.PerCpu(percpu);
            if (CgroupFile.TryRead(F(cpuacct, "cpuacct.usage_percpu_sys")) is { } sys) usage.PercpuKernel = CgroupStatsParser.PerCpu(sys);
            if (CgroupFile.TryRead(F(cpuacct, "cpuacct.usage_percpu_user")) is { } user) usage.PercpuUser = CgroupStatsParser.PerCpu(user);
            if (CgroupFile.TryRead(F(cpuacct, "cpuacct.stat")) is { } stat) (usage.User, usage.Kernel) = CgroupStatsParser.CpuacctStat(stat);
        }
        if (_directories.TryGetValue("cpu", out var cpu))
        {
            var kv = CgroupFile.ReadKeyValues(F(cpu, "cpu.stat"));
            stats.Cpu.Throttling.Periods = kv.GetValueOrDefault("nr_periods");
            stats.Cpu.Throttling.ThrottledPeriods = kv.GetValueOrDefault("nr_throttled");
            stats.Cpu.Throttling.ThrottledTime = kv.GetValueOrDefault("throttled_time");
        }
        if (_directories.TryGetValue("memory", out var memory))
        {
            var m = stats.Memory;
            m.Usage = MemoryEntry(memory, "memory");
            m.Swap = MemoryEntry(memory, "memory.memsw");
            m.Kernel = MemoryEntry(memory, "memory.kmem");
            m.KernelTcp = MemoryEntry(memory, "memory.kmem.tcp");
            m.Raw = CgroupFile.ReadKeyValues(F(memory, "memory.stat"));
            m.Cache = m.Raw.GetValueOrDefault("cache");
        }
        if (_directories.TryGetValue("pids", out var pids))
        {
            stats.Pids.Current = CgroupFile.ReadUInt64OrZero(F(pids, "pids.current"));
            if (CgroupFile.TryRead(F(pids, "pids.max")) is { } max) stats.Pids.Limit = CgroupStatsParser.PidsLimit(max);
        }
        if (_directories.TryGetValue("blkio", out var blkio))
        {
            // CFQ's files first, then BFQ's, then the throttling layer's (always there), as runc does.
            stats.Blkio.IoServiceBytesRecursive = FirstNonEmpty(blkio, "io_service_bytes_recursive");
            stats.Blkio.IoServicedRecursive = FirstNonEmpty(blkio, "io_serviced_recursive");
        }
        if (_directories.TryGetValue("hugetlb", out var hugetlb))
        {
            foreach (var size in CgroupStatsParser.HugePageSizes())
            {
                stats.Hugetlb[size] = new HugetlbStats
                {
                    Usage = CgroupFile.ReadUInt64OrZero(F(hugetlb, $"hugetlb.{size}.usage_in_bytes")),
                    Max = CgroupFile.ReadUInt64OrZero(F(hugetlb, $"hugetlb.{size}.max_usage_in_bytes")),
                    Failcnt = CgroupFile.ReadUInt64OrZero(F(hugetlb, $"hugetlb.{size}.failcnt")),
                };
            }
        }
        return stats;
    }

    private static MemoryEntry MemoryEntry(string dir, string prefix) => new()
    {
        Usage = CgroupFile.ReadUInt64OrZero(F(dir, prefix + ".usage_in_bytes")),
        Max = CgroupFile.ReadUInt64OrZero(F(dir, prefix + ".max_usage_in_bytes")),
        Limit = CgroupFile.ReadUInt64OrZero(F(dir, prefix + ".limit_in_bytes")),
        Failcnt = CgroupFile.ReadUInt64OrZero(F(dir, prefix + ".failcnt")),
    };

    private static List<BlkioEntry>? FirstNonEmpty(string dir, string name)
    {
        foreach (var prefix in (string[])["blkio.", "blkio.bfq.", "blkio.throttle."])
        {
            if (CgroupFile.TryRead(F(dir, prefix + name)) is not { } text) continue;
            var entries = CgroupStatsParser.BlkioV1(text);
            if (entries.Count > 0) return entries;
        }
        return null;
    }

    private static string F(string dir, string file) => System.IO.Path.Combine(dir, file);
}
