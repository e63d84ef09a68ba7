using System.Runtime.InteropServices;

namespace Berth.Linux;

// <linux/fs.h>: inode flags (chattr/lsattr).
public static partial class Libc
{
    public const ulong FS_IOC_GETFLAGS = 0x80086601, FS_IOC_SETFLAGS = 0x40086602;
    /// <summary>"Top of directory hierarchies": ext4's allocator spreads the subdirectories of such a directory over the block groups.</summary>
    public const int FS_TOPDIR_FL = 0x00020000;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_flags(int fd, ulong request, ref int flags);

    /// <summary>Adds an inode flag to a directory; false where the filesystem has no such flags (errors are not fatal for a hint).</summary>
    public static bool TryAddInodeFlag(string directory, int flag)
    {
        int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            int flags = 0;
            if (ioctl_flags(fd, FS_IOC_GETFLAGS, ref flags) < 0) return false;
            if ((flags & flag) == flag) return true;
            flags |= flag;
            return ioctl_flags(fd, FS_IOC_SETFLAGS, ref flags) == 0;
        }
        finally { close(fd); }
    }
}
