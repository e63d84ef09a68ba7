using Berth.Linux;

namespace Berth.Images.Snapshots;

/// <summary>
/// Mounts a root filesystem from layer snapshots with overlayfs: lowerdir = the layers, top first;
/// upperdir/workdir = the container's own writable layer (absent for a read-only view).
/// </summary>
public static class OverlayMount
{
    // mount(2) copies its option string into one page; leave room for the other options.
    private const int MaxMountData = 4096 - 256;

    public static void Mount(IReadOnlyList<string> lowerTopFirst, string? upper, string? work, string target)
    {
        if (lowerTopFirst.Count == 0) throw new ArgumentException("an overlay needs at least one lower layer");
        if (upper is null && lowerTopFirst.Count == 1)
        {
            // overlayfs wants two lower layers without an upper one; one layer read-only is a bind mount.
            Libc.Mount(lowerTopFirst[0], target, null, Libc.MS_BIND, null);
            Libc.Mount(null, target, null, Libc.MS_BIND | Libc.MS_REMOUNT | Libc.MS_RDONLY, null);
            return;
        }
        string options = "lowerdir=" + string.Join(':', lowerTopFirst)
            + (upper is null ? "" : ",upperdir=" + upper + ",workdir=" + work)
            + ",index=off,redirect_dir=off,metacopy=off";
        if (options.Length <= MaxMountData && !lowerTopFirst.Any(p => p.Contains(':') || p.Contains(',')))
        {
            Libc.Mount("overlay", target, "overlay", upper is null ? Libc.MS_RDONLY : 0, options);
            return;
        }
        MountLayerByLayer(lowerTopFirst, upper, work, target);
    }

    /// <summary>
    /// Deep images: the new mount API takes the layers one per call ("lowerdir+", Linux 6.8+), so
    /// the number of layers is not limited by the page-sized option string.
    /// </summary>
    private static void MountLayerByLayer(IReadOnlyList<string> lowerTopFirst, string? upper, string? work, string target)
    {
        int mnt = MountDetached(lowerTopFirst, upper, work, readOnly: upper is null);
        try { Libc.MoveMount(mnt, target); }
        finally { Libc.close(mnt); }
    }

    /// <summary>
    /// The same overlay, detached: a mount attached nowhere, reachable only through the returned
    /// descriptor (a directory descriptor of its root). It is dissolved when the descriptor closes,
    /// even if the process dies meanwhile, so no mount can be left behind. One lower layer without
    /// an upper one is a detached bind mount (overlayfs wants two).
    /// </summary>
    public static int MountDetached(IReadOnlyList<string> lowerTopFirst, string? upper, string? work, bool readOnly)
    {
        if (lowerTopFirst.Count == 0) throw new ArgumentException("an overlay needs at least one lower layer");
        if (upper is null && lowerTopFirst.Count == 1)
        {
            int clone = Libc.OpenTreeClone(lowerTopFirst[0], recursive: false);
            try { Libc.MountSetattrFd(clone, Libc.MOUNT_ATTR_RDONLY, 0, lowerTopFirst[0]); }
            catch { Libc.close(clone); throw; }
            return clone;
        }
        int fs = Libc.FsOpen("overlay");
        try
        {
            foreach (string lower in lowerTopFirst) Libc.FsConfigString(fs, "lowerdir+", lower, "overlay");
            if (upper is not null)
            {
                Libc.FsConfigString(fs, "upperdir", upper, "overlay");
                Libc.FsConfigString(fs, "workdir", work!, "overlay");
            }
            Libc.FsConfigString(fs, "index", "off", "overlay");
            Libc.FsConfigString(fs, "redirect_dir", "off", "overlay");
            Libc.FsConfigString(fs, "metacopy", "off", "overlay");
            Libc.FsConfigCreate(fs, "overlay");
            return Libc.FsMount(fs, readOnly ? (uint)Libc.MOUNT_ATTR_RDONLY : 0, "overlay");
        }
        finally { Libc.close(fs); }
    }

    public static void Unmount(string target)
    {
        if (Libc.umount2(target, Libc.MNT_DETACH) < 0)
            Errno.Throw($"umount {target}");
    }
}
