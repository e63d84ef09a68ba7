using System.Runtime.InteropServices;

namespace Berth.Linux;

// <sys/statfs.h>: which file system a descriptor is on (f_type) and how it is mounted (f_flags).
public static partial class Libc
{
    public const long PROC_SUPER_MAGIC = 0x9fa0, SYSFS_MAGIC = 0x62656572, CGROUP_SUPER_MAGIC = 0x27e0eb,
        CGROUP2_SUPER_MAGIC = 0x63677270, DEVPTS_SUPER_MAGIC = 0x1cd1, MQUEUE_MAGIC = 0x19800202,
        SECURITYFS_MAGIC = 0x73636673, DEBUGFS_MAGIC = 0x64626720, TRACEFS_MAGIC = 0x74726163,
        BPF_FS_MAGIC = unchecked((long)0xcafe4a11), PSTOREFS_MAGIC = 0x6165676c, EFIVARFS_MAGIC = unchecked((long)0xde5e81e4);

    /// <summary>f_flags: the mount is read-only.</summary>
    public const long ST_RDONLY = 1;

    /// <summary>struct statfs (x86_64 and aarch64 glibc layout: every field a 64-bit word, f_fsid two ints).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct StatFs
    {
        public long f_type, f_bsize;
        public ulong f_blocks, f_bfree, f_bavail, f_files, f_ffree;
        public ulong f_fsid;
        public long f_namelen, f_frsize, f_flags;
        public fixed long f_spare[4];
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fstatfs(int fd, out StatFs buf);

    /// <summary>
    /// Kernel pseudo file systems (proc, sysfs, cgroupfs, …): their files are views of kernel state,
    /// not data; a copy of a container's files leaves them out, and nothing is ever written into them.
    /// </summary>
    public static bool IsPseudoFileSystem(long type) => type is PROC_SUPER_MAGIC or SYSFS_MAGIC or CGROUP_SUPER_MAGIC
        or CGROUP2_SUPER_MAGIC or DEVPTS_SUPER_MAGIC or MQUEUE_MAGIC or SECURITYFS_MAGIC or DEBUGFS_MAGIC
        or TRACEFS_MAGIC or BPF_FS_MAGIC or PSTOREFS_MAGIC or EFIVARFS_MAGIC;
}
