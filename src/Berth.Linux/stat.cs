using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const uint S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000,
        S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;

    /// <summary>The permission bits chmod(2) sets: rwx for all three classes plus setuid, setgid and sticky.</summary>
    public const uint ALLPERMS = 0xFFF;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknodat(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial uint umask(uint mask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    /// <summary>fchmodat(2): follows a symlink at the final component; callers pass names they just created.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchmodat(int dirfd, string path, uint mode, int flags);

    /// <summary>struct timespec (64-bit time_t, as on every 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long tv_sec, tv_nsec;
        public Timespec(long sec, long nsec) { tv_sec = sec; tv_nsec = nsec; }
    }

    /// <summary>utimensat(2) with times[0] = atime, times[1] = mtime.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int utimensat(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int futimens(int fd, Timespec* times);

    /// <summary>makedev() as glibc encodes it.</summary>
    public static ulong makedev(long major, long minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
         | ((ulong)(minor & 0xffffff00) << 12) | (ulong)(minor & 0xff);
}

// statx(2): one struct layout on every architecture, unlike struct stat.
public static partial class Libc
{
    public const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10,
        STATX_ATIME = 0x20, STATX_MTIME = 0x40, STATX_CTIME = 0x80, STATX_INO = 0x100, STATX_SIZE = 0x200,
        STATX_BLOCKS = 0x400, STATX_BASIC_STATS = 0x7ff;

    [StructLayout(LayoutKind.Sequential)]
    public struct StatxTimestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        public int __reserved;
    }

    /// <summary>struct statx of &lt;linux/stat.h&gt;: 256 bytes, the fields up to stx_dev_minor named.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    public struct Statx
    {
        public uint stx_mask, stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink, stx_uid, stx_gid;
        public ushort stx_mode, __spare0;
        public ulong stx_ino, stx_size, stx_blocks, stx_attributes_mask;
        public StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
        public uint stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;

        public readonly uint Type => stx_mode & S_IFMT;
        public readonly uint Permissions => stx_mode & ALLPERMS;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, out Statx statxbuf);

    /// <summary>The type (S_IFDIR, S_IFLNK, ...) of what is at <paramref name="path"/>, 0 if nothing is; one statx.</summary>
    public static uint FileTypeAt(string path, bool followSymlink) =>
        statx(AT_FDCWD, path, followSymlink ? 0 : AT_SYMLINK_NOFOLLOW, STATX_TYPE, out var st) == 0 ? st.Type : 0;

    /// <summary>A symlink's target, or null if <paramref name="path"/> is not a readable symlink.</summary>
    public static unsafe string? ReadLinkOrNull(string path)
    {
        byte* buffer = stackalloc byte[4096];
        nint n = readlinkat(AT_FDCWD, path, buffer, 4096);
        return n < 0 || n >= 4096 ? null : System.Text.Encoding.UTF8.GetString(buffer, (int)n);
    }

    private const ulong STATX_ATTR_MOUNT_ROOT = 0x2000;

    /// <summary>Whether a mount's root is at <paramref name="path"/> (statx's mount-root attribute, Linux 5.8+; no symlink followed).</summary>
    public static bool IsMountPoint(string path) =>
        statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, out var st) == 0
        && (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}
