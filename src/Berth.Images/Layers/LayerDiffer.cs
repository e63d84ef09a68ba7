using System.Buffers;
using Berth.Linux;

namespace Berth.Images.Layers;

/// <summary>
/// Turns an overlayfs upper directory into an OCI layer tar. The walk is descriptor-relative and
/// never follows a symlink. Entries come depth first, siblings in ordinal order, with owner, mode,
/// mtime and xattrs (overlayfs' own left out). overlayfs' whiteouts (character devices 0/0) become
/// ".wh.NAME" entries and an opaque directory (trusted.overlay.opaque=y) is followed by its
/// ".wh..wh..opq" entry; a file seen again under another name (same inode) becomes a hardlink entry.
/// Sockets are left out (tar cannot hold them). The upper directory must come from a mount without
/// redirect_dir or metacopy, whose trusted.overlay.* attributes a layer cannot express.
/// </summary>
public static class LayerDiffer
{
    /// <summary>Writes an OCI layer tar (uncompressed) for an overlayfs upper dir.</summary>
    /// <param name="exclude">Layer paths ("etc/hosts") left out, each with all it holds.</param>
    /// <param name="mapId">Maps owners on disk to the layer's (an upper dir written through a user namespace holds host ids).</param>
    public static void WriteDiff(string upperDir, Stream tarOut, IReadOnlySet<string>? exclude = null, Func<uint, uint>? mapId = null)
    {
        ArgumentNullException.ThrowIfNull(upperDir);
        ArgumentNullException.ThrowIfNull(tarOut);
        int root = Libc.open(upperDir, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (root < 0) FsOps.Throw("open", upperDir);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var differ = new Differ(new PaxTarWriter(tarOut), tarOut, buffer, exclude, mapId);
            differ.Walk(root, "");
            differ.Writer.Finish();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Libc.close(root);
        }
    }

    private sealed class Differ(PaxTarWriter writer, Stream output, byte[] buffer, IReadOnlySet<string>? exclude, Func<uint, uint>? mapId)
    {
        public PaxTarWriter Writer => writer;
        private readonly Dictionary<(uint, uint, ulong), string> _inodes = [];

        public void Walk(int dirfd, string dir)
        {
            var children = new List<(string Name, byte Type)>();
            Libc.ReadDirectory(dirfd, children, dir.Length == 0 ? "./" : dir);
            children.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var (name, _) in children)
            {
                string path = TarPath.Join(dir, name);
                if (exclude is not null && exclude.Contains(path)) continue;
                var st = FsOps.Stat(dirfd, name, path);
                var h = new TarHeaderFields
                {
                    Name = path, Mode = st.Permissions,
                    Uid = mapId is null ? st.stx_uid : mapId(st.stx_uid), Gid = mapId is null ? st.stx_gid : mapId(st.stx_gid),
                    MtimeSeconds = st.stx_mtime.tv_sec, MtimeNanos = st.stx_mtime.tv_nsec,
                };

                if (FsOps.IsWhiteout(st))
                {
                    h.Name = TarPath.Join(dir, ".wh." + name);
                    h.TypeFlag = (byte)'0';
                    writer.WriteHeader(h, null);
                    continue;
                }
                if (st.Type == Libc.S_IFDIR)
                {
                    int fd = FsOps.OpenDirectory(dirfd, name, path);
                    try
                    {
                        var target = FsOps.XattrTarget.Of(fd);
                        h.Name = path + "/";
                        h.TypeFlag = (byte)'5';
                        writer.WriteHeader(h, FsOps.ListXattrs(target, path));
                        if (FsOps.IsOpaque(target))
                        {
                            // The opaque marker: an empty file, owned and timed like its directory.
                            h.Name = path + "/.wh..wh..opq";
                            h.TypeFlag = (byte)'0';
                            writer.WriteHeader(h, null);
                        }
                        Walk(fd, path);
                    }
                    finally { Libc.close(fd); }
                    continue;
                }
                if (st.Type == Libc.S_IFSOCK) continue;

                if (st.stx_nlink > 1)
                {
                    var key = (st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
                    if (_inodes.TryGetValue(key, out string? first))
                    {
                        h.TypeFlag = (byte)'1';
                        h.LinkName = first;
                        writer.WriteHeader(h, null);
                        continue;
                    }
                    _inodes[key] = path;
                }

                switch (st.Type)
                {
                    case Libc.S_IFREG:
                        RegularFile(dirfd, name, path, h, (long)st.stx_size);
                        break;
                    case Libc.S_IFLNK:
                        h.TypeFlag = (byte)'2';
                        h.LinkName = FsOps.ReadLinkAt(dirfd, name, path);
                        writer.WriteHeader(h, FsOps.ListXattrs(FsOps.XattrTarget.At(dirfd, name), path));
                        break;
                    case Libc.S_IFCHR or Libc.S_IFBLK or Libc.S_IFIFO:
                        h.TypeFlag = st.Type switch { Libc.S_IFCHR => (byte)'3', Libc.S_IFBLK => (byte)'4', _ => (byte)'6' };
                        h.DevMajor = st.stx_rdev_major;
                        h.DevMinor = st.stx_rdev_minor;
                        writer.WriteHeader(h, FsOps.ListXattrs(FsOps.XattrTarget.At(dirfd, name), path));
                        break;
                }
            }
        }

        private unsafe void RegularFile(int dirfd, string name, string path, TarHeaderFields h, long size)
        {
            int fd = Libc.openat(dirfd, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0) FsOps.Throw("open", path);
            try
            {
                h.TypeFlag = (byte)'0';
                h.Size = size;
                writer.WriteHeader(h, FsOps.ListXattrs(FsOps.XattrTarget.Of(fd), path));
                // Exactly the declared size: a file that shrinks meanwhile is padded with zeros, one that grows is cut.
                long remaining = size;
                fixed (byte* p = buffer)
                {
                    while (remaining > 0)
                    {
                        nint n = Libc.read(fd, p, (nint)Math.Min(buffer.Length, remaining));
                        if (n < 0)
                        {
                            if (FsOps.LastErrno == Errno.EINTR) continue;
                            FsOps.Throw("read", path);
                        }
                        if (n == 0)
                        {
                            Array.Clear(buffer);
                            while (remaining > 0)
                            {
                                int zeros = (int)Math.Min(buffer.Length, remaining);
                                output.Write(buffer, 0, zeros);
                                remaining -= zeros;
                            }
                            break;
                        }
                        output.Write(buffer, 0, (int)n);
                        remaining -= n;
                    }
                }
                writer.Pad(size);
            }
            finally { Libc.close(fd); }
        }
    }
}
