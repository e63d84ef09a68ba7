using System.Runtime.InteropServices;
using Berth.Engine.Copy;
using Berth.Linux;

namespace Berth.Engine.Containers;

/// <summary>docker's change kinds, with the Docker API's numbers (0 modified, 1 added, 2 deleted).</summary>
public enum ChangeKind { Modified = 0, Added = 1, Deleted = 2 }

/// <summary>One line of `docker diff`: "C /etc", "A /tmp/x", "D /bin/ls".</summary>
public sealed record Change(string Path, ChangeKind Kind)
{
    public override string ToString() => (Kind switch { ChangeKind.Added => "A", ChangeKind.Deleted => "D", _ => "C" }) + " " + Path;
}

/// <summary>
/// What a container changed, read from its overlay upper directory against the merged view of its
/// image's layers (a read-only descriptor), with the results docker's full comparison gives:
/// <list type="bullet">
/// <item>a whiteout (0/0 character device) is "D";</item>
/// <item>anything else that exists in the image is "C" (an opaque directory too, and what its
/// image version held that it no longer does is "D"), except a directory that only holds changes:
/// it is "C" only if something below it changed or its own owner or mode did;</item>
/// <item>the rest is "A".</item>
/// </list>
/// The runtime's mount points that docker keeps in a separate "init" layer (/etc/hosts,
/// /etc/hostname, /etc/resolv.conf, /dev/console, /dev/pts, /dev/shm, /proc, /sys, /.dockerenv,
/// /etc/mtab), made empty here because the image lacked them, are hidden, from `diff` and `commit`.
/// Entries are in path order, a directory before what it holds.
/// </summary>
public static class LayerChanges
{
    private static readonly HashSet<string> s_initPaths =
    [
        "/dev", "/dev/pts", "/dev/shm", "/dev/console", "/proc", "/sys", "/.dockerenv",
        "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab",
    ];

    /// <summary>The changes, and the upper dir's paths (layer form, "etc/hosts") to leave out of a committed layer.</summary>
    public sealed record Result(List<Change> Changes, HashSet<string> Hidden);

    /// <param name="lowerFd">A directory descriptor of the image's merged root, or -1 for an image without layers.</param>
    public static Result Compute(string upperDir, int lowerFd)
    {
        int upper = Libc.open(upperDir, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (upper < 0) Errno.Throw($"open {upperDir}");
        var result = new Result([], new HashSet<string>(StringComparer.Ordinal));
        try { Walk(upper, lowerFd, "", result); }
        finally { Libc.close(upper); }
        return result;
    }

    /// <returns>Whether anything visible changed in this directory.</returns>
    private static bool Walk(int upperFd, int lowerFd, string dir, Result result)
    {
        var upperNames = new List<(string Name, byte Type)>();
        Libc.ReadDirectory(upperFd, upperNames, dir.Length == 0 ? "/" : dir);
        var names = new SortedSet<string>(upperNames.Select(n => n.Name), StringComparer.Ordinal);
        bool changed = false;
        foreach (string name in names)
        {
            string path = dir + "/" + name;
            if (!ScopedPath.TryStat(upperFd, name, out var st)) continue;   // removed meanwhile
            Libc.Statx lowerStat = default;
            bool inLower = lowerFd >= 0 && ScopedPath.TryStat(lowerFd, name, out lowerStat);
            if (st.Type == Libc.S_IFCHR && st.stx_rdev_major == 0 && st.stx_rdev_minor == 0)
            {
                result.Changes.Add(new Change(path, ChangeKind.Deleted));
                changed = true;
                continue;
            }
            if (st.Type != Libc.S_IFDIR)
            {
                if (!inLower && IsRuntimeMountPoint(path, st)) { result.Hidden.Add(path[1..]); continue; }
                result.Changes.Add(new Change(path, inLower ? ChangeKind.Modified : ChangeKind.Added));
                changed = true;
                continue;
            }
            int sub = Libc.openat(upperFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (sub < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.ENOENT) continue;
                Errno.Throw($"open {path}");
            }
            int lowerSub = inLower && lowerStat.Type == Libc.S_IFDIR
                ? Libc.openat(lowerFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC) : -1;
            try
            {
                bool opaque = IsOpaque(sub);
                int at = result.Changes.Count;
                if (!inLower) result.Changes.Add(new Change(path, ChangeKind.Added));
                bool below = Walk(sub, lowerSub, path, result);
                // An opaque directory hides all its image version held: what is not there again was deleted.
                if (opaque && lowerSub >= 0) below |= AddDeletedOf(sub, lowerSub, path, result, at);
                if (inLower && (below || opaque || st.stx_uid != lowerStat.stx_uid || st.stx_gid != lowerStat.stx_gid || st.stx_mode != lowerStat.stx_mode))
                    result.Changes.Insert(at, new Change(path, ChangeKind.Modified));
                if (!inLower && !below && s_initPaths.Contains(path))
                {
                    // An empty mount point the runtime made: hidden with its (hidden) contents.
                    result.Changes.RemoveAt(at);
                    result.Hidden.Add(path[1..]);
                    continue;
                }
                changed |= inLower ? result.Changes.Count > at : true;
            }
            finally
            {
                Libc.close(sub);
                if (lowerSub >= 0) Libc.close(lowerSub);
            }
        }
        return changed;
    }

    /// <summary>"D" for what the image's directory holds and the opaque upper one does not, merged into path order.</summary>
    private static bool AddDeletedOf(int upperFd, int lowerFd, string dir, Result result, int from)
    {
        var lowerNames = new List<(string Name, byte Type)>();
        Libc.ReadDirectory(lowerFd, lowerNames, dir);
        bool any = false;
        foreach (var (name, _) in lowerNames)
        {
            if (ScopedPath.TryStat(upperFd, name, out _)) continue;
            var change = new Change(dir + "/" + name, ChangeKind.Deleted);
            int at = from;
            while (at < result.Changes.Count && string.CompareOrdinal(result.Changes[at].Path, change.Path) < 0) at++;
            result.Changes.Insert(at, change);
            any = true;
        }
        return any;
    }

    /// <summary>An empty file or a symlink the runtime made for one of docker's init-layer paths.</summary>
    private static bool IsRuntimeMountPoint(string path, in Libc.Statx st) =>
        s_initPaths.Contains(path) && ((st.Type == Libc.S_IFREG && st.stx_size == 0) || st.Type == Libc.S_IFLNK);

    private static unsafe bool IsOpaque(int fd)
    {
        byte value;
        nint n = Libc.fgetxattr(fd, "trusted.overlay.opaque", &value, 1);
        return n == 1 && value == (byte)'y';
    }
}
