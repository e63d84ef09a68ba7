using Berth.Runtime.Cgroups;
using Berth.Runtime.Init;

namespace Berth.Runtime;

/// <summary>How the lifecycle reaches a container's cgroup: by id and config at create, by stored path later.</summary>
public static class ContainerCgroups
{
    private static CgroupLayout? s_layout;   // detected once (a race detects the same layout twice)

    public static CgroupLayout Layout => s_layout ??= CgroupLayout.Detect();

    public static ICgroupManager ForNew(string id, string? cgroupsPath)
        => CgroupManager.For(Layout, CgroupPath.Resolve(cgroupsPath, id));

    public static ICgroupManager Open(string path) => CgroupManager.For(Layout, path, ownsLeaf: true);

    /// <summary>The host folders to bind at /sys/fs/cgroup in the container, named as the host names them.</summary>
    public static List<CgroupMountSource> MountSources(ICgroupManager cgroup)
    {
        var layout = Layout;
        var result = new List<CgroupMountSource>();
        if (layout.Kind == CgroupKind.V2)
        {
            result.Add(new CgroupMountSource { Name = "", HostPath = cgroup.Directories[""], V2 = true });
            return result;
        }
        foreach (var mount in layout.V1Mounts)
        {
            string? dir = mount.Controllers.Select(c => cgroup.Directories.GetValueOrDefault(c)).FirstOrDefault(d => d is not null);
            if (dir is null) continue;
            result.Add(new CgroupMountSource { Name = Path.GetFileName(mount.MountPoint), HostPath = dir });
        }
        return result;
    }
}
