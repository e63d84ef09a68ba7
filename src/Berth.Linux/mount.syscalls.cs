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

    // The new mount API (fsopen/fsconfig/fsmount/move_mount): used where mount(2)'s one-page option
    // string is too short, e.g. overlayfs with many layers given one by one as "lowerdir+".
    private const long SYS_move_mount = 429, SYS_fsopen = 430, SYS_fsconfig = 431, SYS_fsmount = 432;
    public const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, MOVE_MOUNT_F_EMPTY_PATH = 4;
    public const uint FSCONFIG_SET_FLAG = 0, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall_fsopen(long nr, string fsname, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall_fsconfig(long nr, int fd, uint cmd, string? key, string? value, int aux);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_fsmount(long nr, int fd, uint flags, uint attrFlags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall_move_mount(long nr, int fromDirfd, string fromPath, int toDirfd, string toPath, uint flags);

    public static int FsOpen(string fsname) => (int)Errno.Check(syscall_fsopen(SYS_fsopen, fsname, FSOPEN_CLOEXEC), $"fsopen {fsname}");

    public static void FsConfigString(int fd, string key, string value, string what) =>
        Errno.Check(syscall_fsconfig(SYS_fsconfig, fd, FSCONFIG_SET_STRING, key, value, 0), $"fsconfig {what} {key}={value}");

    public static void FsConfigFlag(int fd, string key, string what) =>
        Errno.Check(syscall_fsconfig(SYS_fsconfig, fd, FSCONFIG_SET_FLAG, key, null, 0), $"fsconfig {what} {key}");

    public static void FsConfigCreate(int fd, string what) =>
        Errno.Check(syscall_fsconfig(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, null, null, 0), $"fsconfig {what} create");

    public static int FsMount(int fd, uint attrFlags, string what) =>
        (int)Errno.Check(syscall_fsmount(SYS_fsmount, fd, FSMOUNT_CLOEXEC, attrFlags), $"fsmount {what}");

    public static void MoveMount(int fromFd, string target) =>
        Errno.Check(syscall_move_mount(SYS_move_mount, fromFd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), $"move_mount to {target}");

    // Detached mounts: open_tree(OPEN_TREE_CLONE) copies a mount tree into one that is attached
    // nowhere; such a tree (and what fsmount returns) lives as long as its descriptor and is
    // dissolved when the last one closes, even if the process dies. Since Linux 6.15 mounts can be
    // attached inside a detached tree (move_mount to a descriptor in it).
    private const long SYS_open_tree = 428;
    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000, MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall_open_tree(long nr, int dirfd, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial long syscall_mount_setattr_fd(long nr, int dirfd, string path, uint flags, MountAttr* attr, nuint size);

    /// <summary>open_tree(path, OPEN_TREE_CLONE [| AT_RECURSIVE]): a detached copy of the mount at <paramref name="path"/>.</summary>
    public static int OpenTreeClone(string path, bool recursive) =>
        (int)Errno.Check(syscall_open_tree(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)), $"open_tree {path}");

    /// <summary>move_mount(2) from one descriptor onto another (both "" with the *_EMPTY_PATH flags); -1 and errno on failure.</summary>
    public static int MoveMountFd(int fromFd, int toFd) =>
        (int)syscall_move_mount(SYS_move_mount, fromFd, "", toFd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);

    /// <summary>Makes a detached mount (from open_tree) idmapped through a user namespace's mapping.</summary>
    public static unsafe void MountSetIdmap(int fd, int usernsFd, string what)
    {
        var attr = new MountAttr { attr_set = MOUNT_ATTR_IDMAP, userns_fd = (ulong)usernsFd };
        Errno.Check(syscall_mount_setattr_fd(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, (nuint)sizeof(MountAttr)), $"mount_setattr idmap {what}");
    }

    /// <summary>mount_setattr(2) on the mount a descriptor refers to (AT_EMPTY_PATH).</summary>
    public static unsafe void MountSetattrFd(int fd, ulong set, ulong clear, string what)
    {
        var attr = new MountAttr { attr_set = set, attr_clr = clear };
        Errno.Check(syscall_mount_setattr_fd(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, (nuint)sizeof(MountAttr)), $"mount_setattr {what}");
    }
}
