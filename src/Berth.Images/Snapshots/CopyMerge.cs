using System.Buffers;
using Berth.Images.Layers;
using Berth.Linux;

namespace Berth.Images.Snapshots;

/// <summary>
/// The plain-copy fallback for when overlayfs cannot serve (a file system it does not stack on, a
/// kernel without it): materializes the merged view of overlay-form layer directories (as
/// <see cref="LayerUnpacker"/> writes them) into one directory, the way overlayfs would show them.
/// Layers apply bottom first: a whiteout (character device 0/0) deletes the name, an opaque
/// directory (trusted.overlay.opaque=y) first empties what the layers below put there, anything
/// else replaces what was there (directories merge). Kept: owner, mode, times, xattrs (except
/// trusted.overlay.*), symlinks, device nodes, fifos and hardlinks within a layer. Every operation
/// is descriptor-relative and never follows a symlink.
/// </summary>
public static class CopyMerge
{
    /// <param name="layerDirsBottomFirst">Layer directories, the base layer first.</param>
    /// <param name="target">An empty directory (created if missing) to hold the merged tree.</param>
    public static void Merge(IReadOnlyList<string> layerDirsBottomFirst, string target)
    {
        ArgumentNullException.ThrowIfNull(layerDirsBottomFirst);
        ArgumentNullException.ThrowIfNull(target);
        if (Libc.mkdir(target, 0x1ED /* 0755 */) < 0 && FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("mkdir", target);
        int targetFd = Libc.open(target, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (targetFd < 0) FsOps.Throw("open", target);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (string layer in layerDirsBottomFirst)
            {
                int layerFd = Libc.open(layer, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
                if (layerFd < 0) FsOps.Throw("open", layer);
                try
                {
                    var st = FsOps.Stat(layerFd, "", layer);
                    var merger = new Merger(targetFd, buffer);
                    merger.DirectoryMetadata(layerFd, targetFd, st, layer);
                    merger.MergeDirectory(layerFd, targetFd, "");
                    FsOps.SetTimes(targetFd, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), target);
                }
                finally { Libc.close(layerFd); }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Libc.close(targetFd);
        }
    }

    /// <summary>Applies one layer. Hardlinks are tracked per layer: overlayfs shows links within a layer as one inode.</summary>
    private sealed class Merger(int targetFd, byte[] buffer)
    {
        private readonly Dictionary<(uint, uint, ulong), string> _inodes = [];

        public void MergeDirectory(int src, int dst, string dir)
        {
            var children = new List<(string Name, byte Type)>();
            Libc.ReadDirectory(src, children, dir.Length == 0 ? "./" : dir);
            foreach (var (name, _) in children)
            {
                string path = TarPath.Join(dir, name);
                var st = FsOps.Stat(src, name, path);
                if (FsOps.IsWhiteout(st))
                {
                    FsOps.RemoveAt(dst, name, path);
                    continue;
                }
                if (st.Type == Libc.S_IFDIR)
                {
                    Directory(src, dst, name, path, st);
                    continue;
                }
                FsOps.RemoveAt(dst, name, path);
                if (st.stx_nlink > 1)
                {
                    var key = (st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
                    if (_inodes.TryGetValue(key, out string? first))
                    {
                        Link(first, dst, name, path);
                        continue;
                    }
                    _inodes[key] = path;
                }
                if (st.Type == Libc.S_IFREG) RegularFile(src, dst, name, path, st);
                else Special(src, dst, name, path, st);
            }
        }

        private void Directory(int src, int dst, string name, string path, in Libc.Statx st)
        {
            int from = FsOps.OpenDirectory(src, name, path);
            try
            {
                bool exists = FsOps.TryStat(dst, name, out var existing, path);
                if (exists && existing.Type == Libc.S_IFDIR)
                {
                    if (FsOps.IsOpaque(FsOps.XattrTarget.Of(from))) Clear(dst, name, path);
                }
                else
                {
                    if (exists) FsOps.RemoveAt(dst, name, path);
                    FsOps.Check(Libc.mkdirat(dst, name, 0x1C0 /* 0700 */), "mkdir", path);
                }
                int to = FsOps.OpenDirectory(dst, name, path);
                try
                {
                    DirectoryMetadata(from, to, st, path);
                    MergeDirectory(from, to, path);
                    FsOps.SetTimes(to, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), path);
                }
                finally { Libc.close(to); }
            }
            finally { Libc.close(from); }
        }

        /// <summary>Owner, mode and xattrs of a directory; its times come after its children.</summary>
        public void DirectoryMetadata(int from, int to, in Libc.Statx st, string path)
        {
            FsOps.Check(Libc.fchown(to, st.stx_uid, st.stx_gid), "chown", path);
            FsOps.Check(Libc.fchmod(to, st.Permissions), "chmod", path);
            FsOps.ReplaceXattrs(FsOps.XattrTarget.Of(to), FsOps.ListXattrs(FsOps.XattrTarget.Of(from), path), path);
        }

        /// <summary>Empties a directory: what the layers below put there, under an opaque directory.</summary>
        private static void Clear(int dst, string name, string path)
        {
            int fd = FsOps.OpenDirectory(dst, name, path);
            try
            {
                var children = new List<(string Name, byte Type)>();
                Libc.ReadDirectory(fd, children, path);
                foreach (var (child, _) in children) FsOps.RemoveAt(fd, child, path + "/" + child);
            }
            finally { Libc.close(fd); }
        }

        private void RegularFile(int src, int dst, string name, string path, in Libc.Statx st)
        {
            int from = Libc.openat(src, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (from < 0) FsOps.Throw("open", path);
            try
            {
                int to = Libc.openat(dst, name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x180);
                if (to < 0) FsOps.Throw("open", path);
                try
                {
                    FsOps.CopyFile(from, to, buffer, path);
                    FsOps.Check(Libc.fchown(to, st.stx_uid, st.stx_gid), "chown", path);
                    FsOps.Check(Libc.fchmod(to, st.Permissions), "chmod", path);
                    foreach (var (xname, value) in FsOps.ListXattrs(FsOps.XattrTarget.Of(from), path))
                        FsOps.SetXattr(FsOps.XattrTarget.Of(to), xname, value, path);
                    FsOps.SetTimes(to, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), path);
                }
                finally { Libc.close(to); }
            }
            finally { Libc.close(from); }
        }

        private static void Special(int src, int dst, string name, string path, in Libc.Statx st)
        {
            if (st.Type == Libc.S_IFLNK)
                FsOps.Check(Libc.symlinkat(FsOps.ReadLinkAt(src, name, path), dst, name), "symlink", path);
            else
                FsOps.Check(Libc.mknodat(dst, name, st.Type, Libc.makedev(st.stx_rdev_major, st.stx_rdev_minor)), "mknod", path);
            FsOps.Check(Libc.fchownat(dst, name, st.stx_uid, st.stx_gid, Libc.AT_SYMLINK_NOFOLLOW), "chown", path);
            if (st.Type != Libc.S_IFLNK) FsOps.Check(Libc.fchmodat(dst, name, st.Permissions, 0), "chmod", path);
            foreach (var (xname, value) in FsOps.ListXattrs(FsOps.XattrTarget.At(src, name), path))
                FsOps.SetXattr(FsOps.XattrTarget.At(dst, name), xname, value, path);
            FsOps.SetTimesAt(dst, name, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), path);
        }

        /// <summary>Links <paramref name="name"/> to this layer's earlier copy at <paramref name="first"/>, resolved again from the target root without following symlinks.</summary>
        private void Link(string first, int dst, string name, string path)
        {
            using var walker = new DirWalker(targetFd, null);
            int slash = first.LastIndexOf('/');
            int parent = walker.Resolve(first, Math.Max(slash, 0), DirWalker.Mode.Try, first);
            string firstName = slash < 0 ? first : first[(slash + 1)..];
            if (parent < 0) throw new IOException($"link {path} to {first}: the directory of {first} is gone");
            FsOps.Check(Libc.linkat(parent, firstName, dst, name, 0), $"link to {first}", path);
        }
    }
}
