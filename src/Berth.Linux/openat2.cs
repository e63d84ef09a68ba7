using System.Runtime.InteropServices;

namespace Berth.Linux;

// openat2(2) and <linux/openat2.h>: path resolution the kernel confines to a directory, whatever
// symlinks and ".." the path meets on the way (Linux 5.6+).
public static partial class Libc
{
    /// <summary>Fail if resolution would cross a mount point.</summary>
    public const ulong RESOLVE_NO_XDEV = 0x01;
    /// <summary>Fail on "magic links" (/proc/PID/fd/N, /proc/PID/root, …).</summary>
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    /// <summary>Fail on any symlink in the path.</summary>
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    /// <summary>Fail if resolution would leave the directory (absolute symlinks, ".." above it): EXDEV.</summary>
    public const ulong RESOLVE_BENEATH = 0x08;
    /// <summary>Resolve as if the directory were the root: "/", absolute symlinks and ".." stay inside it (chroot-like).</summary>
    public const ulong RESOLVE_IN_ROOT = 0x10;

    private const long SYS_openat2 = 437;

    /// <summary>struct open_how.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong flags, mode, resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial long syscall_openat2(long nr, int dirfd, string path, OpenHow* how, nuint size);

    /// <summary>openat2(2): -1 and errno on failure. <paramref name="mode"/> only with O_CREAT.</summary>
    public static unsafe int openat2(int dirfd, string path, int flags, uint mode, ulong resolve)
    {
        var how = new OpenHow { flags = (ulong)(uint)flags, mode = (flags & O_CREAT) != 0 ? mode : 0, resolve = resolve };
        return (int)syscall_openat2(SYS_openat2, dirfd, path, &how, (nuint)sizeof(OpenHow));
    }
}
