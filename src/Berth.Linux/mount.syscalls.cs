using System.Runtime.InteropServices;

namespace Berth.Linux;

// mount(2), umount2(2), pivot_root(2), mount_setattr(2): the calls; the MS_*/MOUNT_ATTR_* constants are in mount.cs.
public static partial class Libc
{
    public const int MNT_DETACH = 2;
    private const long SYS_pivot_root = 155, SYS_mount_setattr = 442;
    public const uint AT_RECURSIVE = 0x8000, AT_EMPTY_PATH = 0x1000;
    public const int AT_FDCWD = -100;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount_(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall_pivot_root(long nr, string newRoot, string putOld);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial long syscall_mount_setattr(long nr, int dirfd, string path, uint flags, MountAttr* attr, nuint size);

    [StructLayout(LayoutKind.Sequential)]
    public struct MountAttr
    {
        public ulong attr_set, attr_clr, propagation, userns_fd;
    }

    public static void Mount(string? source, string target, string? fstype, ulong flags, string? data)
    {
        if (mount_(source, target, fstype, flags, string.IsNullOrEmpty(data) ? null : data) < 0)
            Errno.Throw($"mount {source ?? fstype ?? "none"} on {target} (type {fstype ?? "none"}, flags 0x{flags:x}{(string.IsNullOrEmpty(data) ? "" : ", data " + data)})");
    }

    public static void PivotRoot(string newRoot, string putOld)
        => Errno.Check(syscall_pivot_root(SYS_pivot_root, newRoot, putOld), $"pivot_root {newRoot}");

    public static unsafe void MountSetattr(string path, uint flags, ulong set, ulong clear)
    {
        var attr = new MountAttr { attr_set = set, attr_clr = clear };
        Errno.Check(syscall_mount_setattr(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, (nuint)sizeof(MountAttr)), $"mount_setattr {path}");
    }
}
