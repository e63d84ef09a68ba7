namespace Berth.Linux;

// <sys/mount.h> and <linux/mount.h>: flags of mount(2) and attributes of mount_setattr(2).
// C names verbatim so every use can be checked against the man pages. The P/Invoke
// declarations (mount, umount2, mount_setattr, pivot_root, ...) live in this file too.
public static partial class Libc
{
    // mount(2) mountflags (unsigned long).
    public const ulong MS_RDONLY = 1;
    public const ulong MS_NOSUID = 2;
    public const ulong MS_NODEV = 4;
    public const ulong MS_NOEXEC = 8;
    public const ulong MS_SYNCHRONOUS = 16;
    public const ulong MS_REMOUNT = 32;
    public const ulong MS_MANDLOCK = 64;
    public const ulong MS_DIRSYNC = 128;
    public const ulong MS_NOSYMFOLLOW = 256;
    public const ulong MS_NOATIME = 1024;
    public const ulong MS_NODIRATIME = 2048;
    public const ulong MS_BIND = 4096;
    public const ulong MS_MOVE = 8192;
    public const ulong MS_REC = 16384;
    public const ulong MS_SILENT = 32768;
    public const ulong MS_UNBINDABLE = 1 << 17;
    public const ulong MS_PRIVATE = 1 << 18;
    public const ulong MS_SLAVE = 1 << 19;
    public const ulong MS_SHARED = 1 << 20;
    public const ulong MS_RELATIME = 1 << 21;
    public const ulong MS_I_VERSION = 1 << 23;
    public const ulong MS_STRICTATIME = 1 << 24;
    public const ulong MS_LAZYTIME = 1 << 25;

    // struct mount_attr attr_set / attr_clr (__u64), for mount_setattr(2).
    public const ulong MOUNT_ATTR_RDONLY = 0x00000001;
    public const ulong MOUNT_ATTR_NOSUID = 0x00000002;
    public const ulong MOUNT_ATTR_NODEV = 0x00000004;
    public const ulong MOUNT_ATTR_NOEXEC = 0x00000008;
    /// <summary>The access-time field: setting one of RELATIME/NOATIME/STRICTATIME needs it in attr_clr.</summary>
    public const ulong MOUNT_ATTR__ATIME = 0x00000070;
    public const ulong MOUNT_ATTR_RELATIME = 0x00000000;
    public const ulong MOUNT_ATTR_NOATIME = 0x00000010;
    public const ulong MOUNT_ATTR_STRICTATIME = 0x00000020;
    public const ulong MOUNT_ATTR_NODIRATIME = 0x00000080;
    public const ulong MOUNT_ATTR_IDMAP = 0x00100000;
    public const ulong MOUNT_ATTR_NOSYMFOLLOW = 0x00200000;
}
