using System.Runtime.InteropServices;
using System.Text;
using Berth.Linux;

namespace Berth.Engine.Copy;

/// <summary>
/// Paths inside a root directory given as a descriptor (a container's root): resolved by the kernel
/// with openat2(RESOLVE_IN_ROOT), so "/", "..", and every symlink, absolute or relative, stay inside
/// the root whatever the root's contents are; proc's magic links are refused.
/// </summary>
public static class ScopedPath
{
    /// <summary>What confines a container path: resolved as if the root were "/", no magic links.</summary>
    public const ulong InRoot = Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS;

    /// <summary>What confines a path under a host directory: nothing may lead out of it.</summary>
    public const ulong Beneath = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS;

    private const int MaxLinks = 255;

    /// <summary>openat2 of <paramref name="path"/> under <paramref name="baseFd"/>; -1 and errno on failure.</summary>
    public static int Open(int baseFd, string path, int flags, ulong resolve, uint mode = 0)
    {
        string relative = path.TrimStart('/');
        if (relative.Length == 0) relative = ".";
        while (true)
        {
            int fd = Libc.openat2(baseFd, relative, flags | Libc.O_CLOEXEC, mode, resolve);
            // EAGAIN: a rename elsewhere raced the lookup (the kernel asks to retry); EINTR likewise.
            if (fd < 0 && Marshal.GetLastPInvokeError() is Errno.EAGAIN or Errno.EINTR) continue;
            return fd;
        }
    }

    /// <summary>
    /// The path with every symlink followed inside the root, as a path from the root (docker's
    /// FollowSymlinkInScope): ".." stops at the root, absolute link targets start again at it,
    /// and a missing component ends the evaluation (the rest is appended as it is).
    /// </summary>
    public static string Resolve(int rootFd, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            int dir = Open(rootFd, string.Join('/', resolved), Libc.O_PATH | Libc.O_DIRECTORY, InRoot);
            if (dir < 0)
            {
                // A parent that is missing or not a directory: nothing further can be a link.
                resolved.Add(part);
                while (pending.Count > 0) resolved.Add(pending.Pop());
                break;
            }
            string? target;
            try { target = ReadLink(dir, part); }
            finally { Libc.close(dir); }
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > MaxLinks) throw new SyscallException(Errno.ELOOP, $"resolve {path}");
            if (target.StartsWith('/')) resolved.Clear();
            foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(t);
        }
        return "/" + string.Join('/', resolved.Where(p => p != "."));
    }

    /// <summary>The target of the symlink <paramref name="name"/> in <paramref name="dirFd"/>, or null if it is not one (or is missing).</summary>
    public static unsafe string? ReadLink(int dirFd, string name)
    {
        byte[] buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = Libc.readlinkat(dirFd, name, p, buffer.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.EINVAL or Errno.ENOENT or Errno.ENOTDIR) return null;
                throw new SyscallException(errno, $"readlink {name}");
            }
            return Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    /// <summary>statx of <paramref name="name"/> in <paramref name="dirFd"/> without following it ("" is the descriptor itself); false if missing.</summary>
    public static bool TryStat(int dirFd, string name, out Libc.Statx st)
    {
        int flags = Libc.AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? (int)Libc.AT_EMPTY_PATH : 0);
        if (Libc.statx(dirFd, name, flags, Libc.STATX_BASIC_STATS, out st) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.ENOENT or Errno.ENOTDIR) return false;
        throw new SyscallException(errno, $"stat {name}");
    }

    /// <summary>Whether a descriptor is on proc, sysfs, cgroupfs or another kernel file system.</summary>
    public static bool OnPseudoFileSystem(int fd) =>
        Libc.fstatfs(fd, out var fs) == 0 && Libc.IsPseudoFileSystem(fs.f_type);
}
