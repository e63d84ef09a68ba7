using System.Text;

namespace Berth.Runtime.Cgroups;

public enum CgroupKind
{
    /// <summary>cgroup v1 only: one hierarchy per controller or group of controllers.</summary>
    V1,
    /// <summary>cgroup v2 only: the unified hierarchy.</summary>
    V2,
    /// <summary>v1 controllers plus a cgroup2 mount (systemd's "hybrid" layout, usually at /sys/fs/cgroup/unified).</summary>
    Hybrid,
}

/// <summary>One cgroup filesystem mount. <see cref="Root"/> is the mountinfo root field: the cgroup of
/// the hierarchy that appears at <see cref="MountPoint"/> ("/" on a host, something deeper in a
/// container that got a bind-mounted view).</summary>
public sealed record CgroupMount(string MountPoint, string Root, IReadOnlyList<string> Controllers)
{
    /// <summary>The directory of a cgroup given by its hierarchy path (as in /proc/&lt;pid&gt;/cgroup),
    /// or null when that cgroup is outside the part of the hierarchy this mount shows.</summary>
    public string? DirectoryOf(string hierarchyPath)
    {
        string relative;
        if (Root == "/") relative = hierarchyPath;
        else if (hierarchyPath == Root) relative = "/";
        else if (hierarchyPath.StartsWith(Root + "/", StringComparison.Ordinal)) relative = hierarchyPath[Root.Length..];
        else return null;
        return relative == "/" ? MountPoint : MountPoint.TrimEnd('/') + relative;
    }
}

/// <summary>Which cgroup hierarchies this host has and where they are mounted, read from
/// /proc/self/mountinfo (mount point, root field, super options) at run time.</summary>
public sealed class CgroupLayout
{
    /// <summary>The v1 controllers Berth knows. A super option of a cgroup mount that is one of these names
    /// a controller; "name=…" hierarchies (name=systemd) carry no controller and are ignored.</summary>
    public static readonly IReadOnlyList<string> KnownV1Controllers =
        ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
         "perf_event", "hugetlb", "pids", "rdma", "misc"];

    public CgroupKind Kind { get; }

    /// <summary>v1: controller name → its mount. Controllers mounted together (cpu,cpuacct) share one mount.</summary>
    public IReadOnlyDictionary<string, CgroupMount> V1 { get; }

    /// <summary>The cgroup2 mount (V2 and Hybrid), else null.</summary>
    public CgroupMount? Unified { get; }

    /// <summary>Controllers listed in cgroup.controllers of the unified mount's root directory.</summary>
    public IReadOnlySet<string> UnifiedControllers { get; }

    public CgroupLayout(IReadOnlyDictionary<string, CgroupMount> v1, CgroupMount? unified, IReadOnlySet<string> unifiedControllers)
    {
        V1 = v1;
        Unified = unified;
        UnifiedControllers = unifiedControllers;
        Kind = (v1.Count > 0, unified is not null) switch
        {
            (true, true) => CgroupKind.Hybrid,
            (true, false) => CgroupKind.V1,
            (false, true) => CgroupKind.V2,
            _ => throw new InvalidOperationException("no cgroup filesystem is mounted (no cgroup or cgroup2 entry in /proc/self/mountinfo)"),
        };
    }

    /// <summary>The distinct v1 mounts (a combined cpu,cpuacct mount once), in mountinfo order.</summary>
    public IReadOnlyList<CgroupMount> V1Mounts => V1.Values.Distinct().ToList();

    public static CgroupLayout Detect()
        => Parse(CgroupFile.Read("/proc/self/mountinfo"), CgroupFile.TryRead);

    /// <summary>Pure: builds the layout from mountinfo text; <paramref name="readFile"/> reads the
    /// unified root's cgroup.controllers (null when absent).</summary>
    public static CgroupLayout Parse(string mountinfo, Func<string, string?> readFile)
    {
        var v1 = new Dictionary<string, CgroupMount>(StringComparer.Ordinal);
        CgroupMount? unified = null;
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ParseLine(line) is not var (root, mountPoint, fsType, superOptions)) continue;
            if (fsType == "cgroup2")
            {
                unified ??= new CgroupMount(mountPoint, root, []);
            }
            else if (fsType == "cgroup")
            {
                var controllers = superOptions.Split(',').Where(KnownV1Controllers.Contains).ToList();
                if (controllers.Count == 0) continue; // name=systemd and other named hierarchies
                var mount = new CgroupMount(mountPoint, root, controllers);
                // The first mount of a controller wins (later ones are usually bind mounts of the same hierarchy).
                if (controllers.Any(v1.ContainsKey)) continue;
                foreach (var c in controllers) v1[c] = mount;
            }
        }

        var available = new HashSet<string>(StringComparer.Ordinal);
        if (unified is not null && readFile(Path.Combine(unified.MountPoint, "cgroup.controllers")) is { } text)
            available.UnionWith(text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        if (unified is not null) unified = unified with { Controllers = available.Order(StringComparer.Ordinal).ToList() };
        return new CgroupLayout(v1, unified, available);
    }

    /// <summary>"36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime shared:1 - cgroup cgroup rw,freezer".</summary>
    private static (string Root, string MountPoint, string FsType, string SuperOptions)? ParseLine(string line)
    {
        var fields = line.Split(' ');
        int separator = Array.IndexOf(fields, "-");
        if (fields.Length < 6 || separator < 6 || fields.Length < separator + 4) return null;
        return (Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], fields[separator + 3]);
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }

    public override string ToString()
    {
        var parts = new List<string> { Kind.ToString() };
        foreach (var m in V1Mounts) parts.Add($"{string.Join(',', m.Controllers)}@{m.MountPoint}");
        if (Unified is not null) parts.Add($"unified@{Unified.MountPoint}[{string.Join(',', UnifiedControllers.Order(StringComparer.Ordinal))}]");
        return string.Join(' ', parts);
    }
}
