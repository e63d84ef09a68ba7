using System.Diagnostics;
using Berth.Runtime.Cgroups;

namespace Berth.IntegrationTests.Cgroups;

/// <summary>A test that needs root and a real cgroupfs; skipped with the reason otherwise, or when the
/// host lacks <see cref="Requires"/> (see <see cref="HostFeatures"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string? requires = null)
    {
        Requires = requires;
        if (Environment.UserName != "root" && !IsRoot())
            Skip = "requires root (writes cgroupfs)";
        else if (requires is not null && HostFeatures.Missing(requires) is { } reason)
            Skip = reason;
    }

    public string? Requires { get; }

    private static bool IsRoot()
        => File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
}

/// <summary>Host features some tests need; each check says why it is missing.</summary>
public static class HostFeatures
{
    public const string Cgroup2 = "cgroup2";
    public const string CgroupV1 = "cgroup-v1";
    public const string CpusetV1 = "cpuset-v1";
    public const string MemoryV1 = "memory-v1";
    public const string BlkioWeight = "blkio-weight";
    public const string HugetlbNotDelegated = "hybrid-hugetlb-not-delegated";

    public static string? Missing(string feature)
    {
        CgroupLayout layout;
        try { layout = CgroupLayout.Detect(); }
        catch (Exception e) { return $"no cgroup filesystem: {e.Message}"; }
        switch (feature)
        {
            case Cgroup2:
                return layout.Unified is null ? "no cgroup2 mount on this host" : null;
            case CgroupV1:
                return layout.V1.Count == 0 ? "no cgroup v1 controller on this host" : null;
            case MemoryV1:
                return layout.V1.ContainsKey("memory") ? null : "no v1 memory controller on this host";
            case CpusetV1:
                return layout.V1.ContainsKey("cpuset") ? null : "no v1 cpuset controller on this host";
            case BlkioWeight:
                if (!layout.V1.TryGetValue("blkio", out var blkio))
                    return "no v1 blkio controller on this host";
                // A weight policy (CFQ's blkio.weight or BFQ's blkio.bfq.*) shows files in the root too.
                var root = blkio.MountPoint;
                return File.Exists(Path.Combine(root, "blkio.weight")) || Directory.GetFiles(root, "blkio.bfq.*").Length > 0
                    ? null
                    : "the kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ): block I/O weights cannot be set";
            case HugetlbNotDelegated:
                if (layout.Kind != CgroupKind.Hybrid || layout.V1.ContainsKey("hugetlb"))
                    return "needs a hybrid host where hugetlb is not a v1 controller";
                if (!layout.UnifiedControllers.Contains("hugetlb"))
                    return "hugetlb is not available in the unified hierarchy";
                var subtree = File.ReadAllText(Path.Combine(layout.Unified!.MountPoint, "cgroup.subtree_control"));
                return subtree.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains("hugetlb")
                    ? "hugetlb is enabled in the unified root's cgroup.subtree_control"
                    : null;
            default:
                throw new ArgumentException($"unknown host feature {feature}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CgroupCollection : ICollectionFixture<CgroupLeakCheck>
{
    public const string Name = "Cgroups";
}

/// <summary>
/// Suite-level check: after the cgroup tests, none of their cgroups is left in any hierarchy — no
/// /sys/fs/cgroup/*/berth-test-* and no /sys/fs/cgroup/*/berth/berth-it-*; the /berth parent itself is
/// the engine's root and stays.
/// </summary>
public sealed class CgroupLeakCheck : IDisposable
{
    public const string TestPrefix = "berth-it-";
    public const string TopLevelPrefix = "berth-test-";

    private readonly HashSet<string> _berthParentsBefore;

    public CgroupLeakCheck()
    {
        _berthParentsBefore = BerthParents().ToHashSet(StringComparer.Ordinal);
    }

    public static IEnumerable<string> HierarchyRoots()
    {
        CgroupLayout layout;
        try { layout = CgroupLayout.Detect(); }
        catch (InvalidOperationException) { yield break; }
        foreach (var m in layout.V1Mounts) yield return m.MountPoint;
        if (layout.Unified is not null) yield return layout.Unified.MountPoint;
    }

    private static IEnumerable<string> BerthParents()
        => HierarchyRoots().Select(r => Path.Combine(r, "berth")).Where(Directory.Exists);

    public static List<string> Leftovers(IReadOnlySet<string> berthParentsBefore)
    {
        var leftovers = new List<string>();
        foreach (var root in HierarchyRoots())
        {
            leftovers.AddRange(Directory.GetDirectories(root, TopLevelPrefix + "*"));
            string parent = Path.Combine(root, "berth");
            if (!Directory.Exists(parent)) continue;
            var children = Directory.GetDirectories(parent);
            leftovers.AddRange(children.Where(c => Path.GetFileName(c).StartsWith(TestPrefix, StringComparison.Ordinal)));
            // An empty /berth is the engine's root and stays by design (see CgroupOps.RemoveChain).
        }
        return leftovers;
    }

    public IReadOnlySet<string> BerthParentsBefore => _berthParentsBefore;

    public void Dispose()
    {
        // A collection fixture that throws fails the run (non-zero exit, "Test Collection Cleanup Failure").
        var leftovers = Leftovers(_berthParentsBefore);
        if (leftovers.Count == 0) return;
        // At normal verbosity the runner prints only the exception's type, so the type says what happened;
        // the list is in the message (dotnet test --logger "console;verbosity=detailed").
        throw new CgroupsLeftBehindException($"cgroup tests left cgroups behind: {string.Join(", ", leftovers)}");
    }
}

public sealed class CgroupsLeftBehindException(string message) : Exception(message);

/// <summary>A child process the test started, killed by pid at the end if still running.</summary>
public sealed class Child : IDisposable
{
    public Process Process { get; }
    public int Pid => Process.Id;

    private Child(Process process) => Process = process;

    public static Child Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        return new Child(Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    /// <summary>The state letter of /proc/&lt;pid&gt;/stat (R, S, D, Z …).</summary>
    public char State
    {
        get
        {
            string stat = File.ReadAllText($"/proc/{Pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
    }

    /// <summary>Waits until the process runs <paramref name="comm"/> (after an exec).</summary>
    public void WaitForComm(string comm)
    {
        for (int i = 0; i < 500; i++)
        {
            if (File.ReadAllText($"/proc/{Pid}/comm").Trim() == comm) return;
            Thread.Sleep(10);
        }
        Assert.Fail($"process {Pid} did not exec {comm}");
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill();
            Process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }
}
