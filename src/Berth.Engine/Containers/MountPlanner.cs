using Berth.Engine.Model;
using Berth.Engine.Options;
using Berth.Engine.Volumes;
using Berth.Runtime.Rootfs;
using OciMount = Berth.Oci.Mount;

namespace Berth.Engine.Containers;

/// <summary>
/// The container's own mounts: -v (HostConfig.Binds), --mount (HostConfig.Mounts), --tmpfs and the
/// image's VOLUMEs become MountPoints at create (named and anonymous volumes are created then, as
/// docker does), and OCI mounts at each start.
/// </summary>
public static class MountPlanner
{
    public static List<MountPoint> Plan(Container c, VolumeStore volumes)
    {
        var list = new List<MountPoint>();
        foreach (var bind in c.HostConfig.Binds ?? []) Add(list, VolumeSpec.Parse(bind), volumes, createMissingSource: true);
        foreach (var spec in c.HostConfig.Mounts ?? []) Add(list, spec, volumes, createMissingSource: false);
        foreach (var (path, options) in c.HostConfig.Tmpfs ?? [])
            Add(list, new MountSpec { Type = "tmpfs", Target = path, TmpfsOptions = null, Source = options }, volumes, false);
        foreach (var path in c.Config.Volumes?.Keys ?? Enumerable.Empty<string>())
            if (!list.Any(m => m.Destination == Clean(path))) Add(list, new MountSpec { Type = "volume", Target = path }, volumes, false);
        return list;
    }

    private static string Clean(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    private static void Add(List<MountPoint> list, MountSpec spec, VolumeStore volumes, bool createMissingSource)
    {
        string target = Clean(spec.Target);
        if (!target.StartsWith('/')) throw new ContainerException($"invalid mount config: mount path must be absolute: {spec.Target}");
        if (list.Any(m => m.Destination == target)) throw new ContainerException($"Duplicate mount point: {target}");
        switch (spec.Type)
        {
            case "bind":
                if (!spec.Source.StartsWith('/')) throw new ContainerException($"invalid mount config for type \"bind\": invalid mount path: '{spec.Source}' mount path must be absolute");
                if (!Path.Exists(spec.Source))
                {
                    if (!createMissingSource) throw new ContainerException($"invalid mount config for type \"bind\": bind source path does not exist: {spec.Source}");
                    Directory.CreateDirectory(spec.Source);
                }
                list.Add(new MountPoint
                {
                    Type = "bind", Source = spec.Source, Destination = target, RW = !spec.ReadOnly,
                    Mode = spec.ReadOnly ? "ro" : "", Propagation = spec.BindOptions?.Propagation is { Length: > 0 } p ? p : "rprivate",
                });
                break;
            case "volume":
                var volume = volumes.Create(spec.Source.Length > 0 ? spec.Source : null, spec.VolumeOptions?.Labels);
                list.Add(new MountPoint
                {
                    Type = "volume", Name = volume.Name, Source = volume.Mountpoint, Destination = target, Driver = volume.Driver,
                    RW = !spec.ReadOnly, Mode = spec.VolumeOptions?.NoCopy == true ? "nocopy" : "z",
                });
                break;
            case "tmpfs":
                var options = new List<string>();
                if (spec.TmpfsOptions is { } t)
                {
                    if (t.SizeBytes > 0) options.Add($"size={t.SizeBytes}");
                    if (t.Mode != 0) options.Add($"mode={Convert.ToString(t.Mode, 8)}");
                }
                else if (spec.Source.Length > 0) options.AddRange(spec.Source.Split(',', StringSplitOptions.RemoveEmptyEntries));
                list.Add(new MountPoint { Type = "tmpfs", Source = "", Destination = target, RW = !spec.ReadOnly && !options.Contains("ro"), Mode = string.Join(',', options) });
                break;
            default:
                throw new ContainerException($"invalid mount config: mount type unknown: \"{spec.Type}\"");
        }
    }

    /// <summary>The OCI mounts of a start; an empty volume first gets what the image has at its path (docker's copy-up).</summary>
    public static List<OciMount> ToOci(Container c, string rootfs, VolumeStore volumes)
    {
        var result = new List<OciMount>();
        foreach (var m in c.Mounts.OrderBy(m => m.Destination.Count(ch => ch == '/')))
        {
            switch (m.Type)
            {
                case "bind":
                case "volume":
                    if (m.Type == "volume" && m.Mode != "nocopy") CopyUp(rootfs, m);
                    result.Add(new OciMount
                    {
                        Destination = m.Destination, Type = "bind", Source = m.Source,
                        Options = ["rbind", m.RW ? "rw" : "ro", m.Propagation.Length > 0 ? m.Propagation : "rprivate"],
                    });
                    break;
                case "tmpfs":
                    var options = new List<string> { "nosuid", "nodev", "noexec" };
                    foreach (var o in m.Mode.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (o == "exec") options.Remove("noexec");
                        else if (o == "dev") options.Remove("nodev");
                        else if (o == "suid") options.Remove("nosuid");
                        else if (!options.Contains(o)) options.Add(o);
                    }
                    if (!m.RW && !options.Contains("ro")) options.Add("ro");
                    result.Add(new OciMount { Destination = m.Destination, Type = "tmpfs", Source = "tmpfs", Options = options });
                    break;
            }
        }
        return result;
    }

    private static void CopyUp(string rootfs, MountPoint m)
    {
        if (!Directory.Exists(m.Source) || Directory.EnumerateFileSystemEntries(m.Source).Any()) return;
        string inImage = SecurePath.Join(rootfs, m.Destination);
        if (!Directory.Exists(inImage) || !Directory.EnumerateFileSystemEntries(inImage).Any()) return;
        Berth.Images.Snapshots.CopyMerge.Merge([inImage], m.Source);
    }
}
