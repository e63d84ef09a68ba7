using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// A hybrid host: the v1 driver for every mounted v1 controller, plus a cgroup at the same path in the
/// unified (cgroup2) hierarchy so the process has a v2 cgroup too, as runc does. Resources go to v1,
/// except those only the unified hierarchy can take: <c>unified</c> entries, huge page limits when
/// hugetlb is not a v1 controller here, and device rules when the v1 devices controller is not mounted
/// (then as an eBPF program). A controller the unified hierarchy lists but does not enable for Berth's
/// cgroups (e.g. hugetlb available at the root but not in its cgroup.subtree_control) is an error:
/// Berth does not change cgroups it did not create. See <see cref="ICgroupManager"/> for the contract.
/// </summary>
public sealed class CgroupHybridManager : ICgroupManager
{
    private readonly CgroupLayout _layout;
    private readonly List<string> _notes = [];

    public CgroupHybridManager(CgroupLayout layout, string path, bool ownsLeaf = true)
    {
        _layout = layout;
        V1 = new CgroupV1Manager(layout, path, ownsLeaf);
        V2 = new CgroupV2Manager(layout, path, ownsLeaf);
        Path = path;
    }

    public CgroupV1Manager V1 { get; }
    public CgroupV2Manager V2 { get; }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Directories
    {
        get
        {
            var all = new Dictionary<string, string>(V1.Directories, StringComparer.Ordinal) { [""] = V2.Directory };
            return all;
        }
    }

    public IReadOnlyList<string> Notes => _notes;

    public void Create()
    {
        V1.Create();
        try
        {
            V2.Create();
        }
        catch
        {
            V1.Destroy();
            throw;
        }
    }

    public void Apply(LinuxResources resources) => Write(resources, update: false);

    public void Update(LinuxResources resources) => Write(resources, update: true);

    private void Write(LinuxResources resources, bool update)
    {
        var (v1, v2) = Split(resources);
        _notes.Clear();
        // Validate both halves before writing either.
        CgroupResourceMap.MapV1(v1);
        if (v2 is not null) CgroupResourceMap.MapV2(v2);

        if (update) V1.Update(v1); else V1.Apply(v1);
        _notes.AddRange(V1.Notes);
        if (v2 is null) return;
        if (update) V2.Update(v2); else V2.Apply(v2);
        _notes.AddRange(V2.Notes);
    }

    /// <summary>Routes the resources: the v1 part, and the part for the unified hierarchy (null when empty).</summary>
    internal (LinuxResources V1, LinuxResources? V2) Split(LinuxResources r)
    {
        bool hugetlbToV2 = r.HugepageLimits is { Count: > 0 } && !_layout.V1.ContainsKey("hugetlb");
        bool devicesToV2 = r.Devices is not null && !_layout.V1.ContainsKey("devices");
        bool unified = r.Unified is { Count: > 0 };
        var v1 = new LinuxResources
        {
            Devices = devicesToV2 ? null : r.Devices,
            Memory = r.Memory,
            Cpu = r.Cpu,
            Pids = r.Pids,
            BlockIo = r.BlockIo,
            HugepageLimits = hugetlbToV2 ? null : r.HugepageLimits,
            Network = r.Network,
            Rdma = r.Rdma,
            Unified = null,
        };
        if (!hugetlbToV2 && !devicesToV2 && !unified) return (v1, null);
        var v2 = new LinuxResources
        {
            Devices = devicesToV2 ? r.Devices : null,
            HugepageLimits = hugetlbToV2 ? r.HugepageLimits : null,
            Unified = r.Unified,
        };
        return (v1, v2);
    }

    public void AddProcess(int pid)
    {
        V1.AddProcess(pid);
        V2.AddProcess(pid);
    }

    public bool IsFrozen => V1.HasFreezer ? V1.IsFrozen : V2.IsFrozen;

    public void Freeze()
    {
        if (V1.HasFreezer) V1.Freeze(); else V2.Freeze();
    }

    public void Thaw()
    {
        if (V1.HasFreezer) V1.Thaw(); else V2.Thaw();
    }

    public IReadOnlyList<int> GetPids() => V1.GetPids();

    public void KillAll(int signal)
    {
        if (V1.HasFreezer) V1.KillAll(signal); else V2.KillAll(signal);
    }

    public void Destroy()
    {
        var errors = new List<Exception>();
        foreach (var manager in (ICgroupManager[])[V1, V2])
        {
            try { manager.Destroy(); }
            catch (Exception e) { errors.Add(e); }
        }
        CgroupOps.ThrowAll(errors, $"removing cgroup {Path}");
    }

    public ulong OomKilledCount() => V1.OomKilledCount();

    public CgroupStats Stats()
    {
        var stats = V1.Stats();
        if (!_layout.V1.ContainsKey("hugetlb") && Directory.Exists(V2.Directory))
            stats.Hugetlb = CgroupV2Manager.HugetlbStats(V2.Directory);
        return stats;
    }
}
