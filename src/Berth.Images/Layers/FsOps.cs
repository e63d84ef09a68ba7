using System.Runtime.InteropServices;
using System.Text;
using Berth.Linux;

namespace Berth.Images.Layers;

/// <summary>
/// Descriptor-relative file system operations shared by the unpacker, the differ and the copy merge.
/// Every call acts on a name inside a directory descriptor and never follows a symlink at that name,
/// so nothing here can be steered outside the tree it works on.
/// </summary>
internal static class FsOps
{
    public const string OverlayOpaqueXattr = "trusted.overlay.opaque";

    /// <summary>overlayfs' own attributes (trusted.overlay.*, and user.overlay.* of userxattr mounts): never copied, never taken from a layer tar.</summary>
    public static bool IsOverlayXattr(string name) =>
        name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal);

    /// <summary>An overlayfs whiteout: a character device 0/0.</summary>
    public static bool IsWhiteout(in Libc.Statx st) => st.Type == Libc.S_IFCHR && st.stx_rdev_major == 0 && st.stx_rdev_minor == 0;

    /// <summary>A path that names <paramref name="name"/> in the directory open as <paramref name="dirfd"/>, for the calls that have no *at form (the xattr calls).</summary>
    public static string ProcPath(int dirfd, string name) => name.Length == 0 ? $"/proc/self/fd/{dirfd}" : $"/proc/self/fd/{dirfd}/{name}";

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Throw(string operation, string path) => throw new SyscallException(Marshal.GetLastPInvokeError(), $"{operation} {path}");

    public static void Check(int result, string operation, string path)
    {
        if (result < 0) Throw(operation, path);
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>lstat of <paramref name="name"/> in <paramref name="dirfd"/>: false if it does not exist.</summary>
    public static bool TryStat(int dirfd, string name, out Libc.Statx st, string what)
    {
        int flags = Libc.AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? (int)Libc.AT_EMPTY_PATH : 0);   // "": dirfd itself
        if (Libc.statx(dirfd, name, flags, Libc.STATX_BASIC_STATS, out st) == 0) return true;
        if (LastErrno == Errno.ENOENT) return false;
        Throw("statx", what);
        return false;
    }

    public static Libc.Statx Stat(int dirfd, string name, string what)
    {
        if (!TryStat(dirfd, name, out var st, what)) Throw("statx", what);
        return st;
    }

    /// <summary>Opens a directory below <paramref name="dirfd"/> for reading, refusing a symlink.</summary>
    public static int OpenDirectory(int dirfd, string name, string what)
    {
        int fd = Libc.openat(dirfd, name.Length == 0 ? "." : name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        if (fd < 0) Throw("open", what);
        return fd;
    }

    /// <summary>
    /// Removes whatever is at <paramref name="name"/> in <paramref name="dirfd"/> (a directory with all it
    /// holds); nothing there is fine. Returns whether a directory was removed.
    /// </summary>
    public static bool RemoveAt(int dirfd, string name, string what)
    {
        if (Libc.unlinkat(dirfd, name, 0) == 0) return false;
        int errno = LastErrno;
        if (errno == Errno.ENOENT) return false;
        if (errno != Errno.EISDIR) Throw("unlink", what);
        RemoveTree(dirfd, name, what);
        return true;
    }

    private static void RemoveTree(int dirfd, string name, string what)
    {
        int fd = OpenDirectory(dirfd, name, what);
        try
        {
            var children = new List<(string Name, byte Type)>();
            Libc.ReadDirectory(fd, children, what);
            foreach (var (child, type) in children)
            {
                if (type == Libc.DT_DIR) RemoveTree(fd, child, what + "/" + child);
                else RemoveAt(fd, child, what + "/" + child);
            }
        }
        finally { Libc.close(fd); }
        if (Libc.unlinkat(dirfd, name, Libc.AT_REMOVEDIR) < 0) Throw("rmdir", what);
    }

    public static Libc.Timespec ToTimespec(in Libc.StatxTimestamp t) => new(t.tv_sec, t.tv_nsec);

    /// <summary>A tar time as a timespec; an unset time (all-zero field) is the epoch.</summary>
    public static Libc.Timespec ToTimespec(DateTimeOffset t)
    {
        if (t == default) return default;
        long ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return new(seconds, rest * 100);
    }

    /// <summary>Sets atime and mtime of <paramref name="name"/> in <paramref name="dirfd"/> without following a symlink.</summary>
    public static unsafe void SetTimesAt(int dirfd, string name, Libc.Timespec atime, Libc.Timespec mtime, string what)
    {
        Libc.Timespec* times = stackalloc Libc.Timespec[2];
        times[0] = atime;
        times[1] = mtime;
        Check(Libc.utimensat(dirfd, name, times, Libc.AT_SYMLINK_NOFOLLOW), "utimensat", what);
    }

    public static unsafe void SetTimes(int fd, Libc.Timespec atime, Libc.Timespec mtime, string what)
    {
        Libc.Timespec* times = stackalloc Libc.Timespec[2];
        times[0] = atime;
        times[1] = mtime;
        Check(Libc.futimens(fd, times), "futimens", what);
    }

    /// <summary>Copies the rest of <paramref name="from"/> to <paramref name="to"/>: copy_file_range, or read/write where that cannot serve.</summary>
    public static unsafe long CopyFile(int from, int to, byte[] buffer, string what)
    {
        long total = 0;
        while (true)
        {
            nint n = Libc.copy_file_range(from, null, to, null, 1 << 30, 0);
            if (n > 0) { total += n; continue; }
            if (n == 0) return total;
            int errno = LastErrno;
            if (errno == Errno.EINTR) continue;
            if (total == 0 && errno is Errno.EXDEV or Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP or Errno.EBADF) break;
            Throw("copy_file_range", what);
        }
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.read(from, p, buffer.Length);
                if (n < 0)
                {
                    if (LastErrno == Errno.EINTR) continue;
                    Throw("read", what);
                }
                if (n == 0) return total;
                WriteAll(to, p, (int)n, what);
                total += n;
            }
        }
    }

    public static unsafe void WriteAll(int fd, byte* data, int length, string what)
    {
        while (length > 0)
        {
            nint n = Libc.write(fd, data, length);
            if (n < 0)
            {
                if (LastErrno == Errno.EINTR) continue;
                Throw("write", what);
            }
            data += n;
            length -= (int)n;
        }
    }

    public static unsafe string ReadLinkAt(int dirfd, string name, string what)
    {
        byte[] buffer = new byte[4096];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.readlinkat(dirfd, name, p, buffer.Length);
            if (n < 0) Throw("readlink", what);
            if (n < buffer.Length) return Encoding.UTF8.GetString(buffer, 0, (int)n);
            buffer = new byte[buffer.Length * 2];
        }
    }

    // ---- extended attributes ----

    /// <summary>
    /// Where xattr calls go: an open descriptor (f* calls), or a path whose last component is not
    /// followed (l* calls; a /proc/self/fd/N/name path for symlinks and device nodes).
    /// </summary>
    public readonly record struct XattrTarget(int Fd, string? Path)
    {
        public static XattrTarget Of(int fd) => new(fd, null);
        public static XattrTarget At(int dirfd, string name) => new(-1, ProcPath(dirfd, name));
    }

    /// <summary>All extended attributes of <paramref name="target"/>, overlayfs' own left out.</summary>
    public static unsafe List<(string Name, byte[] Value)> ListXattrs(XattrTarget target, string what)
    {
        var result = new List<(string, byte[])>();
        byte[] names = [];
        nint length;
        while (true)
        {
            length = target.Path is null ? Libc.flistxattr(target.Fd, null, 0) : Libc.llistxattr(target.Path, null, 0);
            if (length < 0)
            {
                if (LastErrno is Errno.EOPNOTSUPP) return result;
                Throw("listxattr", what);
            }
            if (length == 0) return result;
            names = new byte[length];
            fixed (byte* p = names)
                length = target.Path is null ? Libc.flistxattr(target.Fd, p, (nuint)names.Length) : Libc.llistxattr(target.Path, p, (nuint)names.Length);
            if (length >= 0) break;
            if (LastErrno != Errno.ERANGE) Throw("listxattr", what);
        }
        int start = 0;
        for (int i = 0; i < length; i++)
        {
            if (names[i] != 0) continue;
            string name = Encoding.UTF8.GetString(names, start, i - start);
            start = i + 1;
            if (name.Length == 0 || IsOverlayXattr(name)) continue;
            if (TryGetXattr(target, name, out byte[] value, what)) result.Add((name, value));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }

    private static unsafe bool TryGetXattr(XattrTarget target, string name, out byte[] value, string what)
    {
        while (true)
        {
            nint size = target.Path is null ? Libc.fgetxattr(target.Fd, name, null, 0) : Libc.lgetxattr(target.Path, name, null, 0);
            if (size < 0)
            {
                value = [];
                if (LastErrno == Errno.ENODATA) return false;   // removed in between
                Throw($"getxattr {name}", what);
            }
            value = new byte[size];
            fixed (byte* p = value)
                size = target.Path is null ? Libc.fgetxattr(target.Fd, name, p, (nuint)value.Length) : Libc.lgetxattr(target.Path, name, p, (nuint)value.Length);
            if (size >= 0)
            {
                if (size < value.Length) value = value[..(int)size];
                return true;
            }
            if (LastErrno != Errno.ERANGE) Throw($"getxattr {name}", what);
        }
    }

    /// <summary>
    /// Sets one attribute. A user.* attribute the file system or the file type does not take
    /// (EOPNOTSUPP; EPERM on symlinks and device nodes) is dropped; any other failure throws.
    /// </summary>
    public static unsafe void SetXattr(XattrTarget target, string name, ReadOnlySpan<byte> value, string what)
    {
        int r;
        fixed (byte* p = value)
            r = target.Path is null ? Libc.fsetxattr(target.Fd, name, p, (nuint)value.Length, 0)
                                    : Libc.lsetxattr(target.Path, name, p, (nuint)value.Length, 0);
        if (r == 0) return;
        if (name.StartsWith("user.", StringComparison.Ordinal) && LastErrno is Errno.EOPNOTSUPP or Errno.EPERM) return;
        Throw($"setxattr {name}", what);
    }

    /// <summary>Sets trusted.overlay.opaque=y on the directory open as <paramref name="dirfd"/> (an O_PATH descriptor will do).</summary>
    public static unsafe void SetOpaque(int dirfd, string what)
    {
        byte y = (byte)'y';
        Check(Libc.setxattr(ProcPath(dirfd, ""), OverlayOpaqueXattr, &y, 1, 0), $"setxattr {OverlayOpaqueXattr}", what);
    }

    public static unsafe bool IsOpaque(XattrTarget target)
    {
        byte value = 0;
        nint n = target.Path is null ? Libc.fgetxattr(target.Fd, OverlayOpaqueXattr, &value, 1)
                                     : Libc.lgetxattr(target.Path, OverlayOpaqueXattr, &value, 1);
        return n == 1 && value == (byte)'y';
    }

    /// <summary>Makes the attributes of <paramref name="target"/> exactly <paramref name="xattrs"/>, overlayfs' own left alone.</summary>
    public static unsafe void ReplaceXattrs(XattrTarget target, List<(string Name, byte[] Value)> xattrs, string what)
    {
        foreach (var (name, _) in ListXattrs(target, what))
        {
            if (xattrs.Exists(x => x.Name == name)) continue;
            int r = target.Path is null ? Libc.fremovexattr(target.Fd, name) : Libc.lremovexattr(target.Path, name);
            if (r < 0 && LastErrno != Errno.ENODATA) Throw($"removexattr {name}", what);
        }
        foreach (var (name, value) in xattrs) SetXattr(target, name, value, what);
    }
}
