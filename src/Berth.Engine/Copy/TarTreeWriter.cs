using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;
using Berth.Linux;
using Microsoft.Win32.SafeHandles;

namespace Berth.Engine.Copy;

/// <summary>
/// Writes a file, or a directory with everything under it, as a tar stream: what docker's archive
/// package sends for `cp`. A directory comes before what it holds, siblings in ordinal order; each
/// entry has its owner, permission bits and modification time (whole seconds); a file met again
/// through another hardlink becomes a link entry; sockets are left out.
/// <para>
/// Nothing is ever followed: every entry is opened relative to its directory's descriptor with
/// O_NOFOLLOW (a symlink is written as a symlink), and a file is described by what fstat says of
/// the descriptor that is read, so a name swapped meanwhile cannot make it read something else.
/// </para>
/// </summary>
public sealed class TarTreeWriter : IDisposable
{
    private readonly TarWriter _tar;
    private readonly bool _skipPseudoFileSystems;
    private readonly Func<uint, uint>? _mapId;
    private readonly Dictionary<(uint, uint, ulong), string> _links = [];

    /// <param name="skipPseudoFileSystems">
    /// Leave out the contents of proc, sysfs, cgroupfs and the like (a running container's root has
    /// them mounted): their directories are written empty, as the container's image has them.
    /// </param>
    /// <param name="mapId">Maps owners on disk to the archive's (a container with its own user namespace: host ids to its ids).</param>
    public TarTreeWriter(Stream output, bool skipPseudoFileSystems, Func<uint, uint>? mapId = null)
    {
        _tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        _skipPseudoFileSystems = skipPseudoFileSystems;
        _mapId = mapId;
    }

    /// <summary>Bytes of regular file content written so far.</summary>
    public long ContentBytes { get; private set; }

    /// <summary>Adds the entry <paramref name="name"/> of the directory <paramref name="dirFd"/> as <paramref name="archiveName"/>.</summary>
    public void Add(int dirFd, string name, string archiveName)
    {
        if (!ScopedPath.TryStat(dirFd, name, out var st)) throw new SyscallException(Errno.ENOENT, $"stat {archiveName}");
        if (st.Type == Libc.S_IFDIR)
        {
            int fd = Libc.openat(dirFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0) Errno.Throw($"open {archiveName}");
            try { AddDirectory(fd, archiveName); }
            finally { Libc.close(fd); }
            return;
        }
        AddNonDirectory(dirFd, name, st, archiveName);
    }

    /// <summary>Adds the directory open as <paramref name="fd"/> (O_RDONLY) and its whole tree, its own entry named <paramref name="archiveName"/>.</summary>
    public void AddDirectory(int fd, string archiveName)
    {
        if (!ScopedPath.TryStat(fd, "", out var st)) throw new SyscallException(Errno.ENOENT, $"stat {archiveName}");
        var entry = NewEntry(TarEntryType.Directory, archiveName.TrimEnd('/') + "/", st);
        _tar.WriteEntry(entry);
        if (_skipPseudoFileSystems && ScopedPath.OnPseudoFileSystem(fd)) return;
        var children = new List<(string Name, byte Type)>();
        Libc.ReadDirectory(fd, children, archiveName);
        children.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        string prefix = archiveName.TrimEnd('/') + "/";
        foreach (var (child, _) in children)
        {
            // A file removed meanwhile (a running container) is simply not in the archive.
            if (!ScopedPath.TryStat(fd, child, out var childStat)) continue;
            if (childStat.Type == Libc.S_IFDIR)
            {
                int sub = Libc.openat(fd, child, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                if (sub < 0)
                {
                    if (Marshal.GetLastPInvokeError() is Errno.ENOENT) continue;
                    Errno.Throw($"open {prefix}{child}");
                }
                try { AddDirectory(sub, prefix + child); }
                finally { Libc.close(sub); }
            }
            else AddNonDirectory(fd, child, childStat, prefix + child);
        }
    }

    private void AddNonDirectory(int dirFd, string name, Libc.Statx st, string archiveName)
    {
        switch (st.Type)
        {
            case Libc.S_IFSOCK:
                return;
            case Libc.S_IFREG:
                AddFile(dirFd, name, archiveName);
                return;
        }
        if (LinkedBefore(st, archiveName) is { } first)
        {
            _tar.WriteEntry(NewEntry(TarEntryType.HardLink, archiveName, st, linkName: first));
            return;
        }
        switch (st.Type)
        {
            case Libc.S_IFLNK:
                string target = ScopedPath.ReadLink(dirFd, name) ?? throw new SyscallException(Errno.ENOENT, $"readlink {archiveName}");
                _tar.WriteEntry(NewEntry(TarEntryType.SymbolicLink, archiveName, st, linkName: target));
                break;
            case Libc.S_IFCHR or Libc.S_IFBLK:
                var device = NewEntry(st.Type == Libc.S_IFCHR ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, archiveName, st);
                device.DeviceMajor = (int)st.stx_rdev_major;
                device.DeviceMinor = (int)st.stx_rdev_minor;
                _tar.WriteEntry(device);
                break;
            case Libc.S_IFIFO:
                _tar.WriteEntry(NewEntry(TarEntryType.Fifo, archiveName, st));
                break;
        }
    }

    private void AddFile(int dirFd, string name, string archiveName)
    {
        // O_NONBLOCK: if the name became a FIFO meanwhile, opening it must not wait for a writer.
        int fd = Libc.openat(dirFd, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            if (Marshal.GetLastPInvokeError() is Errno.ENOENT) return;
            Errno.Throw($"open {archiveName}");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!ScopedPath.TryStat(fd, "", out var st)) return;
        if (st.Type != Libc.S_IFREG) return;
        if (LinkedBefore(st, archiveName) is { } first)
        {
            _tar.WriteEntry(NewEntry(TarEntryType.HardLink, archiveName, st, linkName: first));
            return;
        }
        var entry = NewEntry(TarEntryType.RegularFile, archiveName, st);
        long size = (long)st.stx_size;
        using var file = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        entry.DataStream = new ExactLengthStream(file, size);
        _tar.WriteEntry(entry);
        ContentBytes += size;
    }

    /// <summary>The archive name of an earlier hardlink of the same file, after remembering this one if it is the first.</summary>
    private string? LinkedBefore(in Libc.Statx st, string archiveName)
    {
        if (st.stx_nlink <= 1) return null;
        var key = (st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
        if (_links.TryGetValue(key, out var first)) return first;
        _links[key] = archiveName;
        return null;
    }

    /// <summary>A ustar entry where its fields can hold everything (as Go's writer picks), else a PAX one.</summary>
    private PosixTarEntry NewEntry(TarEntryType type, string name, in Libc.Statx st, string? linkName = null)
    {
        uint uid = _mapId is null ? st.stx_uid : _mapId(st.stx_uid), gid = _mapId is null ? st.stx_gid : _mapId(st.stx_gid);
        bool ustar = name.Length <= 100 && Ascii.IsValid(name) && (linkName is null || (linkName.Length <= 100 && Ascii.IsValid(linkName)))
            && uid < 0x1FFFFF && gid < 0x1FFFFF && st.stx_size < 0x1FFFFFFFF && st.stx_mtime.tv_sec is >= 0 and < 0x1FFFFFFFF;
        PosixTarEntry entry = ustar ? new UstarTarEntry(type, name) : new PaxTarEntry(type, name);
        entry.Mode = (UnixFileMode)st.Permissions;
        entry.Uid = (int)uid;
        entry.Gid = (int)gid;
        entry.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(st.stx_mtime.tv_sec);
        if (linkName is not null) entry.LinkName = linkName;
        return entry;
    }

    /// <summary>Writes the two zero blocks that end the archive.</summary>
    public void Dispose() => _tar.Dispose();

    /// <summary>
    /// A file's contents as exactly the size the header declared: a file that shrinks while it is
    /// read (a running container writing it) is padded with zeros, one that grows is cut, so the
    /// archive stays well-formed.
    /// </summary>
    private sealed class ExactLengthStream(Stream inner, long length) : Stream
    {
        private long _position;
        private bool _ended;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set { if (value != _position) throw new NotSupportedException(); }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long left = length - _position;
            if (left <= 0) return 0;
            if (buffer.Length > left) buffer = buffer[..(int)left];
            int n = _ended ? 0 : inner.Read(buffer);
            if (n == 0)
            {
                _ended = true;
                buffer.Clear();
                n = buffer.Length;
            }
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
            if (target != _position) throw new NotSupportedException();
            return _position;
        }

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
