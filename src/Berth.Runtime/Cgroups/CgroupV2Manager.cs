using System.Globalization;
using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>cgroup v2: one directory in the unified hierarchy. Device rules become an eBPF program
/// attached to that directory (<see cref="DeviceFilterProgram"/>). See <see cref="ICgroupManager"/>.</summary>
public sealed class CgroupV2Manager : ICgroupManager
{
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    private readonly CgroupMount _mount;
    private readonly bool _ownsLeaf;
    private readonly List<string> _created = [];
    private readonly List<string> _notes = [];
    private bool _createCalled;

    public CgroupV2Manager(CgroupLayout layout, string path, bool ownsLeaf = true)
    {
        _mount = layout.Unified ?? throw new InvalidOperationException("no cgroup2 filesystem is mounted");
        _ownsLeaf = ownsLeaf;
        Path = path;
        Directory = CgroupOps.DirectoryOf(_mount.MountPoint, path);
    }

    public string Path { get; }

    /// <summary>The container's cgroup directory.</summary>
    public string Directory { get; }

    public IReadOnlyDictionary<string, string> Directories => new Dictionary<string, string> { [""] = Directory };
    public IReadOnlyList<string> Notes => _notes;

    public void Create()
    {
        _createCalled = true;
        CgroupOps.RefuseForeignLeaf(Path, Directory);
        _created.AddRange(CgroupOps.MakeChain(_mount.MountPoint, Path));
        var chain = CgroupPath.Chain(Path);
        // Every level but the leaf: the leaf holds processes, and a v2 cgroup with processes cannot
        // enable controllers for children ("no internal processes").
        for (int i = 0; i < chain.Count - 1; i++)
        {
            string dir = CgroupOps.DirectoryOf(_mount.MountPoint, chain[i]);
            if (CgroupOps.IsBerths(chain[i], dir, _created)) EnableControllers(dir);
        }
    }

    /// <summary>Enables in dir/cgroup.subtree_control every controller dir has (its cgroup.controllers). If the
    /// kernel refuses the set (a controller busy with real-time threads …), each is tried on its own.</summary>
    private static void EnableControllers(string dir)
    {
        var available = Words(CgroupFile.Read(F(dir, "cgroup.controllers")));
        var enabled = Words(CgroupFile.Read(F(dir, "cgroup.subtree_control")));
        var missing = available.Where(c => !enabled.Contains(c)).ToList();
        if (missing.Count == 0) return;
        string file = F(dir, "cgroup.subtree_control");
        try
        {
            CgroupFile.Write(file, string.Join(' ', missing.Select(c => "+" + c)));
        }
        catch (SyscallException)
        {
            foreach (var c in missing)
            {
                try { CgroupFile.Write(file, "+" + c); }
                catch (SyscallException) { /* reported at Apply if a resource needs it */ }
            }
        }
    }

    public void Apply(LinuxResources resources) => Write(resources, update: false);

    public void Update(LinuxResources resources) => Write(resources, update: true);

    private void Write(LinuxResources resources, bool update)
    {
        _notes.Clear();
        var writes = CgroupResourceMap.MapV2(resources, _notes).ToList();
        if (update) PrepareUpdate(resources, writes);

        var available = Words(CgroupFile.Read(F(Directory, "cgroup.controllers")));
        foreach (var w in writes)
            if (w.Controller != "cgroup" && !available.Contains(w.Controller))
                throw new SpecException($"{w.Field}: {MissingController(w.Controller)}");
        var devices = resources.Devices is { } d ? DeviceRule.FromList(d) : null;

        CgroupOps.WriteAll(writes.Select(w => (w, Directory)));
        if (devices is not null) DeviceFilterProgram.Attach(Directory, devices);
    }

    /// <summary>Update-only adjustments: cpu.max cannot take a period alone, so an update of the period keeps
    /// the current quota; checkBeforeUpdate refuses a memory limit below the current usage (as runc does).</summary>
    private void PrepareUpdate(LinuxResources r, List<CgroupWrite> writes)
    {
        int cpuMax = writes.FindIndex(w => w.File == "cpu.max");
        if (cpuMax >= 0 && r.Cpu is { Quota: null or 0, Period: > 0 } && CgroupFile.TryRead(F(Directory, "cpu.max")) is { } current)
        {
            string quota = current.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            writes[cpuMax] = writes[cpuMax] with { Value = $"{quota} {r.Cpu.Period!.Value.ToString(CultureInfo.InvariantCulture)}" };
        }
        if (r.Memory is { CheckBeforeUpdate: true, Limit: > 0 } m)
        {
            ulong usage = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.current"));
            if ((ulong)m.Limit.Value < usage)
                throw new SpecException($"linux.resources.memory.limit: {m.Limit} is below the current usage of {usage} bytes (checkBeforeUpdate)");
        }
    }

    /// <summary>Says where a controller stops being available on the way down from the mount root.</summary>
    private string MissingController(string controller)
    {
        string parent = _mount.MountPoint;
        if (!Words(CgroupFile.TryRead(F(parent, "cgroup.controllers")) ?? "").Contains(controller))
            return $"the {controller} controller is not available on this host ({parent}/cgroup.controllers does not list it)";
        foreach (var level in CgroupPath.Chain(Path))
        {
            string dir = CgroupOps.DirectoryOf(_mount.MountPoint, level);
            if (!Words(CgroupFile.TryRead(F(dir, "cgroup.controllers")) ?? "").Contains(controller))
            {
                bool berths = CgroupOps.IsBerths(CgroupPathOf(parent), parent, _created);
                return $"the {controller} controller is not enabled in the parent cgroup {parent} ({controller} is not in its cgroup.subtree_control)"
                    + (berths ? "" : "; Berth does not change cgroups it did not create");
            }
            parent = dir;
        }
        return $"the {controller} controller is not enabled for {Directory}";
    }

    private string CgroupPathOf(string dir)
    {
        string rel = dir[_mount.MountPoint.TrimEnd('/').Length..];
        return rel.Length == 0 ? "/" : rel;
    }

    public void AddProcess(int pid)
        => CgroupFile.Write(F(Directory, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    public bool IsFrozen => CgroupFile.ReadKeyValues(F(Directory, "cgroup.events")).GetValueOrDefault("frozen") == 1;

    public void Freeze() => SetFrozen(true);

    public void Thaw() => SetFrozen(false);

    private void SetFrozen(bool frozen)
    {
        string file = F(Directory, "cgroup.freeze");
        CgroupFile.Write(file, frozen ? "1" : "0");
        if (CgroupOps.WaitUntil(() => IsFrozen == frozen, FreezeTimeout)) return;
        if (frozen) CgroupFile.Write(file, "0");
        throw new SyscallException(Errno.EBUSY, $"write \"{(frozen ? 1 : 0)}\" to {file}: cgroup.events did not report frozen {(frozen ? 1 : 0)} within {FreezeTimeout.TotalSeconds:0} s");
    }

    public IReadOnlyList<int> GetPids() => CgroupOps.ReadPids(Directory, recursive: true);

    public void KillAll(int signal)
    {
        string kill = F(Directory, "cgroup.kill");
        if (signal == CgroupOps.SIGKILL && CgroupFile.Exists(kill))
        {
            CgroupFile.Write(kill, "1"); // Linux 5.14+: the kernel kills the whole subtree, forks included
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
            if (!wasFrozen || signal == CgroupOps.SIGKILL) Thaw();
        }
    }

    public void Destroy()
    {
        var errors = new List<Exception>();
        CgroupOps.RemoveChain(_mount.MountPoint, Path, CgroupOps.MayRemoveLeaf(Path, CgroupOps.DirectoryOf(_mount.MountPoint, Path), _createCalled, _ownsLeaf, _created), _created, errors);
        CgroupOps.ThrowAll(errors, $"removing cgroup {Path}");
    }

    public ulong OomKilledCount()
        => CgroupFile.ReadKeyValues(F(Directory, "memory.events")).GetValueOrDefault("oom_kill");

    public CgroupStats Stats()
    {
        var stats = new CgroupStats();
        var cpu = CgroupFile.ReadKeyValues(F(Directory, "cpu.stat"));
        stats.Cpu.Usage.Total = cpu.GetValueOrDefault("usage_usec") * 1000;
        stats.Cpu.Usage.User = cpu.GetValueOrDefault("user_usec") * 1000;
        stats.Cpu.Usage.Kernel = cpu.GetValueOrDefault("system_usec") * 1000;
        stats.Cpu.Throttling.Periods = cpu.GetValueOrDefault("nr_periods");
        stats.Cpu.Throttling.ThrottledPeriods = cpu.GetValueOrDefault("nr_throttled");
        stats.Cpu.Throttling.ThrottledTime = cpu.GetValueOrDefault("throttled_usec") * 1000;

        if (CgroupFile.Exists(F(Directory, "memory.current")))
        {
            var m = stats.Memory;
            m.Usage = new MemoryEntry
            {
                Usage = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.current")),
                Max = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.peak")),
                Limit = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.max")),
                Failcnt = CgroupFile.ReadKeyValues(F(Directory, "memory.events")).GetValueOrDefault("max"),
            };
            // v1 reported memory+swap; keep that meaning, as runc does.
            ulong swapUsage = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.swap.current"));
            ulong swapLimit = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.swap.max"));
            m.Swap = new MemoryEntry
            {
                Usage = swapUsage + m.Usage.Usage,
                Max = CgroupFile.ReadUInt64OrZero(F(Directory, "memory.swap.peak")),
                Limit = swapLimit == ulong.MaxValue || m.Usage.Limit == ulong.MaxValue ? ulong.MaxValue : swapLimit + m.Usage.Limit,
                Failcnt = CgroupFile.ReadKeyValues(F(Directory, "memory.swap.events")).GetValueOrDefault("max"),
            };
            m.Raw = CgroupFile.ReadKeyValues(F(Directory, "memory.stat"));
            m.Cache = m.Raw.GetValueOrDefault("file");
            m.Kernel = new MemoryEntry { Usage = m.Raw.GetValueOrDefault("kernel"), Limit = ulong.MaxValue };
        }

        stats.Pids.Current = CgroupFile.ReadUInt64OrZero(F(Directory, "pids.current"));
        if (CgroupFile.TryRead(F(Directory, "pids.max")) is { } max) stats.Pids.Limit = CgroupStatsParser.PidsLimit(max);

        if (CgroupFile.TryRead(F(Directory, "io.stat")) is { } io)
        {
            var (bytes, ios) = CgroupStatsParser.IoStatV2(io);
            stats.Blkio.IoServiceBytesRecursive = bytes.Count > 0 ? bytes : null;
            stats.Blkio.IoServicedRecursive = ios.Count > 0 ? ios : null;
        }

        stats.Hugetlb = HugetlbStats(Directory);
        return stats;
    }

    /// <summary>hugetlb.&lt;size&gt;.current/.max/.events of a v2 directory (empty where the controller is not enabled).</summary>
    internal static Dictionary<string, HugetlbStats> HugetlbStats(string dir)
    {
        var result = new Dictionary<string, HugetlbStats>(StringComparer.Ordinal);
        foreach (var size in CgroupStatsParser.HugePageSizes())
        {
            if (!CgroupFile.Exists(F(dir, $"hugetlb.{size}.current"))) continue;
            result[size] = new HugetlbStats
            {
                // v2 keeps no peak for huge pages: Max stays 0, as in runc.
                Usage = CgroupFile.ReadUInt64OrZero(F(dir, $"hugetlb.{size}.current")),
                Failcnt = CgroupFile.ReadKeyValues(F(dir, $"hugetlb.{size}.events")).GetValueOrDefault("max"),
            };
        }
        return result;
    }

    private static HashSet<string> Words(string text) => new(text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    private static string F(string dir, string file) => System.IO.Path.Combine(dir, file);
}
