using Berth.Engine.Model;
using Berth.Engine.Options;
using Berth.Engine.Volumes;

namespace Berth.Engine.Containers;

/// <summary>What a prune removed (container ids or volume names) and the bytes that freed.</summary>
public sealed record PruneReport(List<string> Deleted, long Reclaimed);

// container prune, and the volume commands that need to know the containers: rm, prune.
public sealed partial class ContainerEngine
{
    /// <summary>docker container prune: every stopped container the filters (until=, label=, label!=) keep; reclaimed = their own layers.</summary>
    public PruneReport PruneContainers(FilterFlags filters)
    {
        var deleted = new List<string>();
        long reclaimed = 0;
        foreach (var c in List())
        {
            if (IsActive(c) || !filters.MatchesUntil(c.Created) || !filters.MatchesLabels(c.Config.Labels)) continue;
            long size = TreeSize(Path.Combine(Store.DirOf(c.Id), "diff"));
            try { RemoveStopped(c.Id, removeVolumes: false); }
            catch (Exception e) when (e is ContainerException or NoSuchContainerException) { continue; }   // started or removed meanwhile
            deleted.Add(c.Id);
            reclaimed += size;
        }
        return new PruneReport(deleted, reclaimed);
    }

    /// <summary>Ids of the containers that mount a volume (docker names them so when it refuses a removal).</summary>
    public List<string> VolumeUserIds(string volume) =>
        List().Where(c => c.Mounts.Any(m => m.Type == "volume" && m.Name == volume)).Select(c => c.Id).ToList();

    /// <summary>docker volume rm: refused while a container uses it; with force a missing volume is no error.</summary>
    public void RemoveVolume(string name, bool force)
    {
        if (force && Volumes.TryGet(name) is null) return;
        Volumes.Remove(name, VolumeUserIds(name));
    }

    /// <summary>docker volume prune (docker 23+): unused anonymous volumes, or with <paramref name="all"/> every unused one; label= filters.</summary>
    public PruneReport PruneVolumes(bool all, FilterFlags filters)
    {
        var used = List().SelectMany(c => c.Mounts).Where(m => m.Type == "volume" && m.Name is not null).Select(m => m.Name!).ToHashSet();
        var deleted = new List<string>();
        long reclaimed = 0;
        foreach (var v in Volumes.List())
        {
            if (used.Contains(v.Name) || !filters.MatchesLabels(v.Labels)) continue;
            if (!all && !v.Labels.ContainsKey(VolumeStore.AnonymousLabel)) continue;
            long size = TreeSize(v.Mountpoint);
            try { Volumes.Remove(v.Name, []); }
            catch (ArgumentException) { continue; }   // removed meanwhile
            deleted.Add(v.Name);
            reclaimed += size;
        }
        return new PruneReport(deleted, reclaimed);
    }

    /// <summary>Bytes of the regular files under a directory, symlinks not followed, each hardlinked file once.</summary>
    public static long TreeSize(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        long total = 0;
        var seen = new HashSet<(ulong, ulong)>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", options))
        {
            if (f.LinkTarget is not null) continue;
            if (Berth.Linux.Libc.statx(Berth.Linux.Libc.AT_FDCWD, f.FullName, Berth.Linux.Libc.AT_SYMLINK_NOFOLLOW,
                    Berth.Linux.Libc.STATX_INO | Berth.Linux.Libc.STATX_NLINK | Berth.Linux.Libc.STATX_SIZE, out var st) != 0) continue;
            if (st.Type != Berth.Linux.Libc.S_IFREG) continue;
            if (st.stx_nlink > 1 && !seen.Add(((ulong)st.stx_dev_major << 32 | st.stx_dev_minor, st.stx_ino))) continue;
            total += (long)st.stx_size;
        }
        return total;
    }
}
