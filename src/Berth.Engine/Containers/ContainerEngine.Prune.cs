using Berth.Engine.Options;
using Berth.Linux;

namespace Berth.Engine.Containers;

/// <summary>What a prune removed (container ids or volume names) and the bytes that freed.</summary>
public sealed record PruneReport(List<string> Deleted, long Reclaimed);

// container prune.
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
            if (Libc.statx(Libc.AT_FDCWD, f.FullName, Libc.AT_SYMLINK_NOFOLLOW,
                    Libc.STATX_TYPE | Libc.STATX_INO | Libc.STATX_NLINK | Libc.STATX_SIZE, out var st) != 0) continue;
            if (st.Type != Libc.S_IFREG) continue;
            if (st.stx_nlink > 1 && !seen.Add(((ulong)st.stx_dev_major << 32 | st.stx_dev_minor, st.stx_ino))) continue;
            total += (long)st.stx_size;
        }
        return total;
    }
}
