using System.Buffers;
using System.Formats.Tar;
using Berth.Images.Manifests;
using Berth.Linux;

namespace Berth.Images.Layers;

public sealed record UnpackOptions
{
    /// <summary>Create character and block devices (true only when running as root); otherwise a device entry is refused.</summary>
    public bool AllowDeviceNodes { get; init; }

    /// <summary>
    /// Looks up a path that is not in this layer: given the layer-relative path, returns the absolute
    /// path of that file in the merged lower layers, or null. Used for hardlinks across layers (the
    /// target is copied up into this layer), and for the owner, mode and times of parent directories
    /// a layer leaves out.
    /// </summary>
    public Func<string, string?>? LowerLookup { get; init; }

    /// <summary>
    /// Convert OCI whiteouts to overlayfs form (character device 0/0, trusted.overlay.opaque=y), for a
    /// layer directory that overlayfs will stack. When false the layer is applied onto a plain
    /// directory that holds the lower layers' merged contents: whiteouts delete there.
    /// </summary>
    public bool OverlayWhiteouts { get; init; } = true;

    /// <summary>Threads that write small files while the tar is read on (0: all on the caller's thread).</summary>
    public int FileWriters { get; init; } = 2;
}

/// <param name="Size">Bytes of regular file content written.</param>
/// <param name="Entries">Tar entries applied (pax global headers and aufs metadata not counted).</param>
public sealed record UnpackResult(long Size, int Entries);

/// <summary>
/// Writes a layer's diff tar into a directory. The tar is hostile input: every name is checked (no
/// absolute paths, no "..", no NUL), every file is created relative to a directory descriptor with
/// O_NOFOLLOW and parents are resolved without following symlinks (<see cref="DirWalker"/>), so
/// nothing is ever written through a symlink the layer (or a lower layer) contains. A violation
/// throws <see cref="ImageFormatException"/> naming the entry; the caller deletes the partial directory.
/// </summary>
public static class LayerUnpacker
{
    /// <summary>Largest entry accepted: a tar header that declares more is garbled or hostile.</summary>
    public const long MaxEntrySize = 1L << 40;

    /// <summary>Reads an uncompressed tar stream (a layer's diff) and writes it into the directory <paramref name="root"/> (empty, or the lower layers' contents when !OverlayWhiteouts).</summary>
    public static UnpackResult Unpack(Stream tar, string root, UnpackOptions options)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        using var unpacker = new Unpacker(root, options);
        return unpacker.Run(tar);
    }
}

internal sealed class Unpacker : IDisposable
{
    private const string WhiteoutPrefix = ".wh.", WhiteoutMetaPrefix = ".wh..wh.", OpaqueWhiteout = ".wh..wh..opq";
    private const int BufferSize = 1 << 20;

    private readonly UnpackOptions _options;
    private readonly int _rootFd;
    private readonly DirWalker _walker;   // parents of the entries, in stream order
    private readonly DirWalker _aux;      // hardlink targets, copy-ups and the final directory times
    private readonly byte[] _buffer;
    private readonly Dictionary<string, (Libc.Timespec Atime, Libc.Timespec Mtime)> _dirTimes = new(StringComparer.Ordinal);
    /// <summary>Plain-directory mode only: the paths this layer wrote, which its own whiteouts must leave alone.</summary>
    private readonly HashSet<string>? _layerPaths;
    private readonly List<PaxXattr> _xattrs = [];
    private HeaderRecordingStream? _stream;
    private Libc.Timespec? _paxAtime, _paxMtime;   // the current entry's pax time records
    private long _size;
    private int _entries;
    private readonly FileWriterPool? _pool;

    public Unpacker(string root, UnpackOptions options)
    {
        _options = options;
        _rootFd = Libc.open(root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (_rootFd < 0) FsOps.Throw("open", root);
        _walker = new DirWalker(_rootFd, OnDirectoryCreated);
        _aux = new DirWalker(_rootFd, OnDirectoryCreated);
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        if (!options.OverlayWhiteouts) _layerPaths = new HashSet<string>(StringComparer.Ordinal);
        if (options.FileWriters > 0) _pool = new FileWriterPool(options.FileWriters);
    }

    public void Dispose()
    {
        _pool?.Dispose();
        _walker.Dispose();
        _aux.Dispose();
        Libc.close(_rootFd);
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    public UnpackResult Run(Stream tar)
    {
        using var stream = new HeaderRecordingStream(tar);
        _stream = stream;
        using var reader = new TarReader(stream, leaveOpen: true);
        while (true)
        {
            TarEntry? entry;
            stream.StartRecording();
            try { entry = reader.GetNextEntry(copyData: false); }
            catch (Exception e) when (IsMalformed(e)) { throw Malformed(e); }
            finally { stream.StopRecording(); }
            if (entry is null) break;
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue;

            PaxXattrs.Parse(stream.Recorded, _xattrs, out bool sparse, out _paxAtime, out _paxMtime, entry.Name);
            try { Apply(entry, sparse); }
            catch (SyscallException e) when (IsEntryError(e))
            {
                throw Bad(entry.Name, e.Message);
            }
            Drain(entry);
        }
        // A file written on a writer thread fails here, named by its path in the message.
        try { Sync(); }
        catch (SyscallException e) when (IsEntryError(e)) { throw new ImageFormatException($"layer entry: {TarPath.OneLine(e.Message)}"); }
        ApplyDirectoryTimes();
        return new UnpackResult(_size, _entries);
    }

    /// <summary>System call failures that an entry's name or contents cause, not the machine.</summary>
    private static bool IsEntryError(SyscallException e) => e.Errno is Errno.ENAMETOOLONG or Errno.EINVAL or Errno.ELOOP
        or Errno.ENOTDIR or Errno.EMLINK or Errno.E2BIG or Errno.ERANGE or Errno.EISDIR;

    /// <summary>What TarReader throws for a garbled or cut-off tar (an I/O error of the source stream is not one of these).</summary>
    private static bool IsMalformed(Exception e) => e is EndOfStreamException or InvalidDataException or FormatException
        or OverflowException or ArgumentException or InvalidOperationException or NotSupportedException;

    private static ImageFormatException Malformed(Exception e) => new($"layer tar is truncated or malformed: {TarPath.OneLine(e.Message)}");

    private static ImageFormatException Bad(string entry, string problem) => new($"layer entry {TarPath.Quote(entry)}: {TarPath.OneLine(problem)}");

    private void Apply(TarEntry entry, bool sparse)
    {
        string raw = entry.Name;
        if (entry.Length is < 0 or > LayerUnpacker.MaxEntrySize)
            throw Bad(raw, $"declares a size of {entry.Length} bytes (more than the 1 TiB limit)");
        if (sparse || entry.EntryType == TarEntryType.SparseFile)
            throw Bad(raw, "GNU sparse files are not supported in layers");
        if (entry.Uid < 0 || entry.Gid < 0)
            throw Bad(raw, $"has a negative owner {entry.Uid}:{entry.Gid}");

        string path = TarPath.Normalize(raw, out string? problem) ?? throw Bad(raw, problem!);
        CheckDepth(path, raw);
        TarEntryType type = entry.EntryType;
        if (type == TarEntryType.V7RegularFile && raw.EndsWith('/')) type = TarEntryType.Directory;

        if (path.Length == 0)
        {
            if (type != TarEntryType.Directory) throw Bad(raw, "the root of a layer must be a directory");
            _entries++;
            ApplyRoot(entry);
            return;
        }

        int slash = path.LastIndexOf('/');
        string name = slash < 0 ? path : path[(slash + 1)..];
        if (slash > 0 && path.Contains(WhiteoutPrefix, StringComparison.Ordinal))
        {
            // aufs keeps its metadata under .wh..wh.* directories (.wh..wh.plnk, .wh..wh.orph): skipped with all they hold.
            foreach (var component in path.AsSpan(0, slash).Split('/'))
            {
                var part = path.AsSpan(0, slash)[component];
                if (part.StartsWith(WhiteoutMetaPrefix)) return;
                if (part.StartsWith(WhiteoutPrefix)) throw Bad(raw, "a whiteout cannot be a parent directory");
            }
        }
        // Files being written on other threads must be there before anything that could touch them:
        // an entry at or under their path, a hardlink (to one of them, perhaps), a whiteout.
        if (_pool is not null && _pool.Pending.Count > 0
            && (type == TarEntryType.HardLink || name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal) || _pool.Touches(path)))
            Sync();
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            if (name == OpaqueWhiteout) { _entries++; Opaque(path, slash, raw); }
            else if (name.StartsWith(WhiteoutMetaPrefix, StringComparison.Ordinal)) { /* aufs metadata */ }
            else { _entries++; Whiteout(path, slash, name[WhiteoutPrefix.Length..], entry, raw); }
            return;
        }

        _entries++;
        switch (type)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RegularFile(entry, path, slash, name, raw);
                break;
            case TarEntryType.Directory:
                Directory(entry, path, slash, name, raw);
                break;
            case TarEntryType.SymbolicLink:
                Symlink(entry, path, slash, name, raw);
                break;
            case TarEntryType.HardLink:
                HardLink(entry, path, slash, name, raw);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                Special(entry, type, path, slash, name, raw);
                break;
            default:
                throw Bad(raw, $"unsupported tar entry type '{(char)type}' ({type})");
        }
        _layerPaths?.Add(path);
    }

    // ---- entry kinds ----

    private void RegularFile(TarEntry entry, string path, int slash, string name, string raw)
    {
        int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        if (_pool is not null && entry.Length <= FileWriterPool.MaxFileSize)
        {
            _pool.Submit(Job(entry, parent, name, path, raw));
            _size += entry.Length;
            return;
        }
        int fd = CreateFile(parent, name, path);
        try
        {
            _size += WriteData(entry, fd, raw, path);
            ApplyMetadata(fd, entry, path);
            FsOps.SetTimes(fd, AccessTime(entry), ModificationTime(entry), path);
        }
        finally { Libc.close(fd); }
    }

    private void Directory(TarEntry entry, string path, int slash, string name, string raw)
    {
        int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        bool opaque = false;
        if (Libc.mkdirat(parent, name, 0x1C0 /* 0700 until the entry's mode is set */) < 0)
        {
            if (FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("mkdir", path);
            var st = FsOps.Stat(parent, name, path);
            if (st.Type != Libc.S_IFDIR)
            {
                // A directory replacing this layer's own whiteout: in overlay form the new directory must hide everything below.
                opaque = _options.OverlayWhiteouts && FsOps.IsWhiteout(st);
                Remove(parent, name, path);
                FsOps.Check(Libc.mkdirat(parent, name, 0x1C0), "mkdir", path);
            }
        }
        int fd = FsOps.OpenDirectory(parent, name, path);
        try
        {
            ApplyMetadata(fd, entry, path);
            if (opaque) FsOps.SetOpaque(fd, path);
        }
        finally { Libc.close(fd); }
        _dirTimes[path] = (AccessTime(entry), ModificationTime(entry));
    }

    private void ApplyRoot(TarEntry entry)
    {
        int fd = FsOps.OpenDirectory(_rootFd, "", "./");
        try { ApplyMetadata(fd, entry, "./"); }
        finally { Libc.close(fd); }
        _dirTimes[""] = (AccessTime(entry), ModificationTime(entry));
    }

    private void Symlink(TarEntry entry, string path, int slash, string name, string raw)
    {
        // The target is data: it may point anywhere, it is just never followed.
        string target = entry.LinkName;
        if (target.Length == 0) throw Bad(raw, "symbolic link with an empty target");
        if (target.Contains('\0')) throw Bad(raw, "symbolic link target contains a NUL byte");
        int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        if (Libc.symlinkat(target, parent, name) < 0)
        {
            if (FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("symlink", path);
            Remove(parent, name, path);
            FsOps.Check(Libc.symlinkat(target, parent, name), "symlink", path);
        }
        ApplyMetadataAt(parent, name, entry, path, chmod: false);
    }

    private void Special(TarEntry entry, TarEntryType type, string path, int slash, string name, string raw)
    {
        uint kind = type switch { TarEntryType.CharacterDevice => Libc.S_IFCHR, TarEntryType.BlockDevice => Libc.S_IFBLK, _ => Libc.S_IFIFO };
        ulong dev = 0;
        if (kind != Libc.S_IFIFO)
        {
            if (!_options.AllowDeviceNodes) throw Bad(raw, "device node refused (device nodes are only created when running as root)");
            var posix = (PosixTarEntry)entry;
            if (posix.DeviceMajor < 0 || posix.DeviceMinor < 0) throw Bad(raw, "negative device number");
            dev = Libc.makedev(posix.DeviceMajor, posix.DeviceMinor);
        }
        int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        if (Libc.mknodat(parent, name, kind, dev) < 0)
        {
            if (FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("mknod", path);
            Remove(parent, name, path);
            FsOps.Check(Libc.mknodat(parent, name, kind, dev), "mknod", path);
        }
        ApplyMetadataAt(parent, name, entry, path, chmod: true);
    }

    private void HardLink(TarEntry entry, string path, int slash, string name, string raw)
    {
        string target = TarPath.Normalize(entry.LinkName, out string? problem) ?? throw Bad(raw, $"hardlink target {TarPath.Quote(entry.LinkName)} {problem}");
        CheckDepth(target, raw);
        if (target.Length == 0) throw Bad(raw, "hardlink to the root directory");
        if (target == path) throw Bad(raw, "hardlink to itself");

        int targetSlash = target.LastIndexOf('/');
        string targetName = targetSlash < 0 ? target : target[(targetSlash + 1)..];
        int targetParent = _aux.Resolve(target, Math.Max(targetSlash, 0), DirWalker.Mode.Open, raw);
        Libc.Statx st = default;
        bool inLayer = targetParent >= 0 && FsOps.TryStat(targetParent, targetName, out st, target);
        if (inLayer)
        {
            if (st.Type == Libc.S_IFDIR) throw Bad(raw, $"hardlink to directory {TarPath.Quote(target)}");
            if (_options.OverlayWhiteouts && FsOps.IsWhiteout(st)) throw Bad(raw, $"hardlink target {TarPath.Quote(target)} was deleted by a whiteout");
        }
        else
        {
            string lower = _options.LowerLookup?.Invoke(target)
                ?? throw Bad(raw, $"hardlink target {TarPath.Quote(target)} is neither in this layer nor below it");
            targetParent = _aux.Resolve(target, Math.Max(targetSlash, 0), DirWalker.Mode.Create, raw);
            CopyUp(lower, targetParent, targetName, target, raw);
            _layerPaths?.Add(target);
        }

        int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        // Flags 0: a target that is a symlink is linked as the symlink itself, never followed.
        if (Libc.linkat(targetParent, targetName, parent, name, 0) < 0)
        {
            if (FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("link", path);
            Remove(parent, name, path);
            // Removing the name may have removed a directory holding the target: look it up again.
            targetParent = _aux.Resolve(target, Math.Max(targetSlash, 0), DirWalker.Mode.Open, raw);
            if (targetParent < 0 || Libc.linkat(targetParent, targetName, parent, name, 0) < 0)
                throw Bad(raw, $"hardlink target {TarPath.Quote(target)} disappeared when {TarPath.Quote(path)} was replaced");
        }
    }

    /// <summary>Copies a lower layer's file into this layer at <paramref name="name"/> in <paramref name="dirfd"/> (as overlayfs' copy-up would): content, owner, mode, times, xattrs.</summary>
    private void CopyUp(string lower, int dirfd, string name, string path, string raw)
    {
        if (Libc.statx(Libc.AT_FDCWD, lower, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) < 0)
            FsOps.Throw("statx", lower);
        FsOps.XattrTarget source = new(-1, lower);
        switch (st.Type)
        {
            case Libc.S_IFREG:
            {
                int from = Libc.open(lower, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                if (from < 0) FsOps.Throw("open", lower);
                try
                {
                    int to = CreateFile(dirfd, name, path);
                    try
                    {
                        _size += FsOps.CopyFile(from, to, _buffer, path);
                        FsOps.Check(Libc.fchown(to, st.stx_uid, st.stx_gid), "chown", path);
                        FsOps.Check(Libc.fchmod(to, st.Permissions), "chmod", path);
                        foreach (var (xname, value) in FsOps.ListXattrs(FsOps.XattrTarget.Of(from), lower))
                            FsOps.SetXattr(FsOps.XattrTarget.Of(to), xname, value, path);
                        FsOps.SetTimes(to, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), path);
                    }
                    finally { Libc.close(to); }
                }
                finally { Libc.close(from); }
                return;
            }
            case Libc.S_IFLNK:
                FsOps.Check(Libc.symlinkat(FsOps.ReadLinkAt(Libc.AT_FDCWD, lower, lower), dirfd, name), "symlink", path);
                break;
            case Libc.S_IFCHR or Libc.S_IFBLK:
                if (!_options.AllowDeviceNodes) throw Bad(raw, "device node refused (device nodes are only created when running as root)");
                FsOps.Check(Libc.mknodat(dirfd, name, st.Type, Libc.makedev(st.stx_rdev_major, st.stx_rdev_minor)), "mknod", path);
                break;
            case Libc.S_IFIFO:
                FsOps.Check(Libc.mknodat(dirfd, name, Libc.S_IFIFO, 0), "mknod", path);
                break;
            default:
                throw Bad(raw, $"hardlink target {TarPath.Quote(path)} in a lower layer is not a file");
        }
        FsOps.Check(Libc.fchownat(dirfd, name, st.stx_uid, st.stx_gid, Libc.AT_SYMLINK_NOFOLLOW), "chown", path);
        if (st.Type != Libc.S_IFLNK) FsOps.Check(Libc.fchmodat(dirfd, name, st.Permissions, 0), "chmod", path);
        foreach (var (xname, value) in FsOps.ListXattrs(source, lower))
            FsOps.SetXattr(FsOps.XattrTarget.At(dirfd, name), xname, value, path);
        FsOps.SetTimesAt(dirfd, name, FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime), path);
    }

    // ---- whiteouts ----

    private void Whiteout(string path, int slash, string victim, TarEntry entry, string raw)
    {
        if (victim.Length == 0 || victim is "." or "..") throw Bad(raw, "malformed whiteout name");
        string dir = slash < 0 ? "" : path[..slash];
        string victimPath = TarPath.Join(dir, victim);
        if (_options.OverlayWhiteouts)
        {
            int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
            // A whiteout only hides the lower layers. Anything already at that name came from this
            // layer and hides them itself; a directory must also stop merging with the ones below.
            if (FsOps.TryStat(parent, victim, out var st, victimPath))
            {
                if (st.Type == Libc.S_IFDIR)
                {
                    int fd = FsOps.OpenDirectory(parent, victim, victimPath);
                    try { FsOps.SetOpaque(fd, victimPath); }
                    finally { Libc.close(fd); }
                }
                return;
            }
            FsOps.Check(Libc.mknodat(parent, victim, Libc.S_IFCHR, 0), "mknod", victimPath);
            FsOps.Check(Libc.fchownat(parent, victim, (uint)entry.Uid, (uint)entry.Gid, Libc.AT_SYMLINK_NOFOLLOW), "chown", victimPath);
            FsOps.SetTimesAt(parent, victim, AccessTime(entry), ModificationTime(entry), victimPath);
        }
        else
        {
            int parent = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Open, raw);
            if (parent < 0 || !FsOps.TryStat(parent, victim, out var st, victimPath)) return;
            if (_layerPaths!.Contains(victimPath))
            {
                if (st.Type == Libc.S_IFDIR) ClearLower(parent, victim, victimPath);
                return;
            }
            Remove(parent, victim, victimPath);
        }
    }

    private void Opaque(string path, int slash, string raw)
    {
        int dir = _walker.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Create, raw);
        string dirPath = slash < 0 ? "" : path[..slash];
        if (_options.OverlayWhiteouts) FsOps.SetOpaque(dir, dirPath.Length == 0 ? "./" : dirPath);
        else ClearLower(dir, "", dirPath);
    }

    /// <summary>Plain-directory mode: empties a directory of what the lower layers put there, keeping what this layer wrote.</summary>
    private void ClearLower(int parent, string name, string path)
    {
        int fd = FsOps.OpenDirectory(parent, name, path.Length == 0 ? "./" : path);
        try
        {
            var children = new List<(string Name, byte Type)>();
            Libc.ReadDirectory(fd, children, path);
            foreach (var (child, type) in children)
            {
                string childPath = TarPath.Join(path, child);
                if (!_layerPaths!.Contains(childPath)) Remove(fd, child, childPath);
                else if (type == Libc.DT_DIR) ClearLower(fd, child, childPath);
            }
        }
        finally { Libc.close(fd); }
    }

    // ---- helpers ----

    /// <summary>
    /// PATH_MAX and a depth no image comes near: the walker holds a descriptor per level, and a
    /// 1 MiB pax path of "a/a/a/..." must not turn into half a million of them.
    /// </summary>
    private static void CheckDepth(string path, string raw)
    {
        if (path.Length >= 4096) throw Bad(raw, $"path longer than 4095 bytes");
        if (path.AsSpan().Count('/') >= TarPath.MaxDepth) throw Bad(raw, $"path deeper than {TarPath.MaxDepth} directories");
    }

    /// <summary>
    /// Removes what is at <paramref name="name"/>. When that was a directory, the auxiliary walker may
    /// hold descriptors into it and starts over. (The entry walker holds only the current entry's
    /// parents, which a removal of the entry's own name cannot touch. Deferred times of removed
    /// directories are skipped at the end, where the name no longer opens as a directory.)
    /// </summary>
    /// <summary>A small file's job for the writer threads: its data read, its metadata copied, its parent's fd duplicated.</summary>
    private FileWriterPool.Job Job(TarEntry entry, int parent, string name, string path, string raw)
    {
        int length = (int)entry.Length;
        byte[] data = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            if (length > 0)
            {
                Stream source = entry.DataStream ?? throw Bad(raw, "has a size but no data");
                int read;
                try { read = source.ReadAtLeast(data.AsSpan(0, length), length, throwOnEndOfStream: false); }
                catch (Exception e) when (IsMalformed(e)) { throw Malformed(e); }
                if (read < length) throw new ImageFormatException($"layer tar is truncated or malformed: entry {TarPath.Quote(raw)} ends {length - read} bytes early");
            }
            byte[] recorded = _stream!.RecordedBuffer;
            var xattrs = _xattrs.Where(x => x.Name.Length > 0 && !FsOps.IsOverlayXattr(x.Name))
                .Select(x => (x.Name, recorded.AsSpan(x.Offset, x.Length).ToArray())).ToArray();
            int fd = Libc.DupCloexec(parent);
            if (fd < 0) FsOps.Throw("dup", path);
            return new FileWriterPool.Job
            {
                ParentFd = fd, Name = name, Path = path, Data = data, Length = length,
                Uid = (uint)entry.Uid, Gid = (uint)entry.Gid, Mode = (uint)entry.Mode & Libc.ALLPERMS,
                Xattrs = xattrs, Atime = AccessTime(entry), Mtime = ModificationTime(entry),
            };
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }
    }

    /// <summary>Waits for the writer threads; files whose name was taken are replaced here, in order.</summary>
    private void Sync()
    {
        if (_pool is null) return;
        foreach (var job in _pool.Barrier())
        {
            try
            {
                int fd = CreateFile(job.ParentFd, job.Name, job.Path);
                try { FileWriterPool.Finish(fd, job); }
                finally { Libc.close(fd); }
            }
            finally { FileWriterPool.Release(job); }
        }
    }

    private void Remove(int dirfd, string name, string path)
    {
        if (FsOps.RemoveAt(dirfd, name, path)) _aux.Reset();
    }

    /// <summary>Creates a regular file, replacing whatever is at the name; O_EXCL | O_NOFOLLOW: never opens through a symlink.</summary>
    private int CreateFile(int dirfd, string name, string path)
    {
        const int Flags = Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        int fd = Libc.openat(dirfd, name, Flags, 0x180 /* 0600 until the entry's mode is set */);
        if (fd >= 0) return fd;
        if (FsOps.LastErrno != Errno.EEXIST) FsOps.Throw("open", path);
        Remove(dirfd, name, path);
        fd = Libc.openat(dirfd, name, Flags, 0x180);
        if (fd < 0) FsOps.Throw("open", path);
        return fd;
    }

    private unsafe long WriteData(TarEntry entry, int fd, string raw, string path)
    {
        long remaining = entry.Length;
        if (remaining == 0) return 0;
        Stream data = entry.DataStream ?? throw Bad(raw, "has a size but no data");
        fixed (byte* p = _buffer)
        {
            while (remaining > 0)
            {
                int n;
                try { n = data.Read(_buffer, 0, (int)Math.Min(_buffer.Length, remaining)); }
                catch (Exception e) when (IsMalformed(e)) { throw Malformed(e); }
                if (n <= 0) throw new ImageFormatException($"layer tar is truncated or malformed: entry {TarPath.Quote(raw)} ends {remaining} bytes early");
                FsOps.WriteAll(fd, p, n, path);
                remaining -= n;
            }
        }
        return entry.Length;
    }

    /// <summary>Reads what is left of an entry's data, so the next header read starts on the header (and records nothing else).</summary>
    private void Drain(TarEntry entry)
    {
        Stream? data = entry.DataStream;
        if (data is null) return;
        try
        {
            while (data.Read(_buffer, 0, _buffer.Length) > 0) { }
        }
        catch (Exception e) when (IsMalformed(e)) { throw Malformed(e); }
    }

    /// <summary>Owner, then mode (chown clears setuid/setgid), then xattrs (chown clears security.capability), on an open file or directory.</summary>
    private void ApplyMetadata(int fd, TarEntry entry, string path)
    {
        FsOps.Check(Libc.fchown(fd, (uint)entry.Uid, (uint)entry.Gid), "chown", path);
        FsOps.Check(Libc.fchmod(fd, (uint)entry.Mode & Libc.ALLPERMS), "chmod", path);
        ApplyXattrs(FsOps.XattrTarget.Of(fd), path);
    }

    /// <summary>The same for a symlink, device node or fifo, by name, plus its times.</summary>
    private void ApplyMetadataAt(int dirfd, string name, TarEntry entry, string path, bool chmod)
    {
        FsOps.Check(Libc.fchownat(dirfd, name, (uint)entry.Uid, (uint)entry.Gid, Libc.AT_SYMLINK_NOFOLLOW), "chown", path);
        // fchmodat follows a symlink at the name, but the name is the device node or fifo just created.
        if (chmod) FsOps.Check(Libc.fchmodat(dirfd, name, (uint)entry.Mode & Libc.ALLPERMS, 0), "chmod", path);
        if (_xattrs.Count > 0) ApplyXattrs(FsOps.XattrTarget.At(dirfd, name), path);
        FsOps.SetTimesAt(dirfd, name, AccessTime(entry), ModificationTime(entry), path);
    }

    private void ApplyXattrs(FsOps.XattrTarget target, string path)
    {
        byte[] recorded = _stream!.RecordedBuffer;
        foreach (var x in _xattrs)
        {
            // overlayfs' own attributes would let a layer redirect lookups or fake opaqueness: only whiteout entries make those.
            if (x.Name.Length == 0 || FsOps.IsOverlayXattr(x.Name)) continue;
            FsOps.SetXattr(target, x.Name, recorded.AsSpan(x.Offset, x.Length), path);
        }
    }

    /// <summary>The entry's mtime: the pax record to the nanosecond, else the header's.</summary>
    private Libc.Timespec ModificationTime(TarEntry entry) => _paxMtime ?? FsOps.ToTimespec(entry.ModificationTime);

    /// <summary>The entry's atime (pax record or GNU header field), else its mtime.</summary>
    private Libc.Timespec AccessTime(TarEntry entry)
    {
        if (_paxAtime is { } atime) return atime;
        if (entry is GnuTarEntry gnu && gnu.AccessTime != default) return FsOps.ToTimespec(gnu.AccessTime);
        return ModificationTime(entry);
    }

    /// <summary>A walker-created parent: 0755 whatever the umask, or the owner, mode, xattrs and times of the same directory below.</summary>
    private void OnDirectoryCreated(int dirfd, string name, string path)
    {
        FsOps.Check(Libc.fchmodat(dirfd, name, 0x1ED /* 0755 */, 0), "chmod", path);
        string? lower = _options.LowerLookup?.Invoke(path);
        if (lower is null
            || Libc.statx(Libc.AT_FDCWD, lower, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) < 0
            || st.Type != Libc.S_IFDIR)
            return;
        int fd = FsOps.OpenDirectory(dirfd, name, path);
        try
        {
            FsOps.Check(Libc.fchown(fd, st.stx_uid, st.stx_gid), "chown", path);
            FsOps.Check(Libc.fchmod(fd, st.Permissions), "chmod", path);
            foreach (var (xname, value) in FsOps.ListXattrs(new FsOps.XattrTarget(-1, lower), lower))
                FsOps.SetXattr(FsOps.XattrTarget.Of(fd), xname, value, path);
        }
        finally { Libc.close(fd); }
        _dirTimes.TryAdd(path, (FsOps.ToTimespec(st.stx_atime), FsOps.ToTimespec(st.stx_mtime)));
    }

    /// <summary>Directory times last: creating children changed them all along.</summary>
    private void ApplyDirectoryTimes()
    {
        _aux.Reset();
        var paths = new List<string>(_dirTimes.Keys);
        paths.Sort(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            var (atime, mtime) = _dirTimes[path];
            int slash = path.LastIndexOf('/');
            int parent = path.Length == 0 ? _rootFd : _aux.Resolve(path, Math.Max(slash, 0), DirWalker.Mode.Try, path);
            if (parent < 0) continue;
            int fd = Libc.openat(parent, path.Length == 0 ? "." : path[(slash + 1)..], Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0) continue;   // replaced by a non-directory later in the layer
            try { FsOps.SetTimes(fd, atime, mtime, path.Length == 0 ? "./" : path); }
            finally { Libc.close(fd); }
        }
    }
}
