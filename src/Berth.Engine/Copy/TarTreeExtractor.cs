using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;
using Berth.Linux;
using Microsoft.Win32.SafeHandles;

namespace Berth.Engine.Copy;

/// <summary>How <see cref="TarTreeExtractor"/> treats owners.</summary>
public sealed record ExtractOptions
{
    /// <summary>Give entries the owners the archive names (false: they belong to the extracting user, as docker's client extracts).</summary>
    public bool KeepOwners { get; init; } = true;

    /// <summary>Give every entry this owner instead (cp -a into a container with a Config.User).</summary>
    public (uint Uid, uint Gid)? Owner { get; init; }

    /// <summary>Maps entry names (and hardlink targets) before they are used: docker's archive rebasing.</summary>
    public Func<string, string>? Rename { get; init; }

    /// <summary>Maps the owners chosen to the ids written on disk (a container with its own user namespace: its ids to host ids).</summary>
    public Func<uint, uint>? MapId { get; init; }
}

/// <summary>
/// Extracts a tar stream (the archive is hostile input) into a directory, as docker's Untar does for
/// `cp`: missing parents are created, an existing file is replaced, an existing directory is
/// merged into, but a directory never replaces a non-directory nor the other way round.
/// <para>
/// Every entry's parent is opened with openat2 under a base descriptor with the caller's RESOLVE_*
/// flags — RESOLVE_IN_ROOT at a container's root, RESOLVE_BENEATH at a host directory — so no
/// name, ".." or symlink, whether in the archive or already on disk, can lead outside; the entry
/// itself is made with the *at calls on that parent and O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, never
/// through a symlink. Nothing is written into proc, sysfs or another kernel file system.
/// </para>
/// </summary>
public static class TarTreeExtractor
{
    /// <param name="baseFd">The directory paths are resolved under (a container's root, or the destination itself).</param>
    /// <param name="destination">The destination as a path under <paramref name="baseFd"/> ("" for the base itself).</param>
    /// <param name="shownDestination">The destination as errors name it.</param>
    /// <returns>Bytes of regular file content written.</returns>
    public static long Extract(Stream tar, int baseFd, string destination, ulong resolve, string shownDestination, ExtractOptions options)
    {
        var state = new Extraction(baseFd, destination.TrimEnd('/'), resolve, shownDestination, options);
        using var reader = new TarReader(tar, leaveOpen: true);
        while (true)
        {
            TarEntry? entry;
            try { entry = reader.GetNextEntry(copyData: false); }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or OverflowException
                or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                throw new InvalidDataException("Error processing tar file: " + e.Message.ReplaceLineEndings(" "));
            }
            if (entry is null) break;
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
            state.Apply(entry);
        }
        state.ApplyDirectoryTimes();
        return state.ContentBytes;
    }

    private sealed class Extraction(int baseFd, string destination, ulong resolve, string shown, ExtractOptions options)
    {
        private readonly List<(string Path, Libc.Timespec Atime, Libc.Timespec Mtime)> _directoryTimes = [];
        public long ContentBytes { get; private set; }

        public void Apply(TarEntry entry)
        {
            string name = Normalize(entry.Name);
            if (name == ".")
            {
                // The destination itself: docker leaves an existing directory as it is.
                if (entry.EntryType == TarEntryType.Directory) return;
                throw new InvalidDataException($"invalid tar entry \"{entry.Name}\": not a directory");
            }
            int slash = name.LastIndexOf('/');
            string parent = slash < 0 ? "" : name[..slash], leaf = name[(slash + 1)..];
            string shownPath = Shown(name);
            int dir = OpenDirectory(parent, create: true);
            try
            {
                if (ScopedPath.OnPseudoFileSystem(dir))
                    throw new InvalidOperationException($"refusing to write {shownPath}: it is in a kernel file system");
                bool isDir = entry.EntryType == TarEntryType.Directory;
                if (ScopedPath.TryStat(dir, leaf, out var existing))
                {
                    bool existingDir = existing.Type == Libc.S_IFDIR;
                    if (existingDir && !isDir) throw new InvalidOperationException($"cannot overwrite directory \"{shownPath}\" with non-directory \"{shown}\"");
                    if (!existingDir && isDir) throw new InvalidOperationException($"cannot overwrite non-directory \"{shownPath}\" with directory \"{shown}\"");
                    if (!existingDir && Libc.unlinkat(dir, leaf, 0) < 0 && Marshal.GetLastPInvokeError() != Errno.ENOENT) Errno.Throw($"remove {shownPath}");
                }
                Create(entry, dir, leaf, name, shownPath);
            }
            finally { Libc.close(dir); }
        }

        private void Create(TarEntry entry, int dir, string leaf, string name, string shownPath)
        {
            var mode = (uint)entry.Mode & Libc.ALLPERMS;
            var (uid, gid) = Owner(entry);
            var mtime = Time(entry.ModificationTime);
            var atime = AccessTime(entry) is { } a && a > entry.ModificationTime ? Time(a) : mtime;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                {
                    if (Libc.mkdirat(dir, leaf, 0x1C0 /* 0700 until the entry's mode is set */) < 0 && Marshal.GetLastPInvokeError() != Errno.EEXIST)
                        Errno.Throw($"mkdir {shownPath}");
                    int fd = Libc.openat(dir, leaf, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                    if (fd < 0) Errno.Throw($"open {shownPath}");
                    try { SetOwnerAndMode(fd, uid, gid, mode, entry, shownPath); }
                    finally { Libc.close(fd); }
                    _directoryTimes.Add((name, atime, mtime));
                    return;
                }
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                {
                    int fd = Libc.openat(dir, leaf, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x180 /* 0600 */);
                    if (fd < 0) Errno.Throw($"create {shownPath}");
                    // The FileStream owns the descriptor: everything is set through it before it closes.
                    using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
                    if (entry.DataStream is { } data) data.CopyTo(file, 1 << 20);
                    ContentBytes += entry.Length;
                    SetOwnerAndMode(fd, uid, gid, mode, entry, shownPath);
                    SetTimes(fd, "", atime, mtime, AtEmptyPath, shownPath);
                    return;
                }
                case TarEntryType.SymbolicLink:
                    if (Libc.symlinkat(entry.LinkName, dir, leaf) < 0) Errno.Throw($"symlink {shownPath}");
                    if (uid is { } su && Libc.fchownat(dir, leaf, su, gid!.Value, Libc.AT_SYMLINK_NOFOLLOW) < 0) Errno.Throw($"lchown {shownPath}");
                    SetTimes(dir, leaf, atime, mtime, Libc.AT_SYMLINK_NOFOLLOW, shownPath);
                    return;
                case TarEntryType.HardLink:
                {
                    string target = Normalize(entry.LinkName);
                    if (target == ".") throw new InvalidDataException($"invalid hardlink \"{entry.Name}\" -> \"{entry.LinkName}\"");
                    int targetSlash = target.LastIndexOf('/');
                    int targetDir = OpenDirectory(targetSlash < 0 ? "" : target[..targetSlash], create: false);
                    try
                    {
                        // linkat without AT_SYMLINK_FOLLOW links the name itself, never what a symlink points to.
                        if (Libc.linkat(targetDir, target[(targetSlash + 1)..], dir, leaf, 0) < 0) Errno.Throw($"link {Shown(target)} to {shownPath}");
                    }
                    finally { Libc.close(targetDir); }
                    return;
                }
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                {
                    uint type = entry.EntryType switch { TarEntryType.CharacterDevice => Libc.S_IFCHR, TarEntryType.BlockDevice => Libc.S_IFBLK, _ => Libc.S_IFIFO };
                    ulong dev = entry is PosixTarEntry p && type != Libc.S_IFIFO ? Libc.makedev(p.DeviceMajor, p.DeviceMinor) : 0;
                    if (Libc.mknodat(dir, leaf, type | 0x180, dev) < 0) Errno.Throw($"mknod {shownPath}");
                    // An O_PATH descriptor of exactly what was made: chown and chmod act on it, not on a name.
                    int fd = Libc.openat(dir, leaf, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                    if (fd < 0) Errno.Throw($"open {shownPath}");
                    try
                    {
                        if (!ScopedPath.TryStat(fd, "", out var st) || st.Type != type) throw new InvalidOperationException($"{shownPath} changed while it was made");
                        if (uid is { } du && Libc.fchownat(fd, "", du, gid!.Value, (int)Libc.AT_EMPTY_PATH) < 0) Errno.Throw($"chown {shownPath}");
                        if (Libc.fchmodat(Libc.AT_FDCWD, $"/proc/self/fd/{fd}", mode, 0) < 0) Errno.Throw($"chmod {shownPath}");
                    }
                    finally { Libc.close(fd); }
                    SetTimes(dir, leaf, atime, mtime, Libc.AT_SYMLINK_NOFOLLOW, shownPath);
                    return;
                }
                default:
                    throw new InvalidDataException($"unhandled tar header type {entry.EntryType} for \"{entry.Name}\"");
            }
        }

        private (uint? Uid, uint? Gid) Owner(TarEntry entry)
        {
            var (uid, gid) = options.Owner ?? ((uint)entry.Uid, (uint)entry.Gid);
            if (options.Owner is null && !options.KeepOwners) return (null, null);
            return options.MapId is { } map ? (map(uid), map(gid)) : (uid, gid);
        }

        /// <summary>Owner first, then mode: chown clears set-id bits.</summary>
        private static void SetOwnerAndMode(int fd, uint? uid, uint? gid, uint mode, TarEntry entry, string shownPath)
        {
            if (uid is { } u && Libc.fchown(fd, u, gid!.Value) < 0) Errno.Throw($"chown {shownPath}");
            SetXattrs(fd, entry);
            if (Libc.fchmod(fd, mode) < 0) Errno.Throw($"chmod {shownPath}");
        }

        /// <summary>PAX SCHILY.xattr.* records; where the file system refuses one, it is left out (as docker does).</summary>
        private static unsafe void SetXattrs(int fd, TarEntry entry)
        {
            if (entry is not PaxTarEntry pax) return;
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (!key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal)) continue;
                byte[] bytes = Encoding.UTF8.GetBytes(value);
                fixed (byte* p = bytes) Libc.fsetxattr(fd, key["SCHILY.xattr.".Length..], p, (nuint)bytes.Length, 0);
            }
        }

        private const int AtEmptyPath = (int)Libc.AT_EMPTY_PATH;

        private static unsafe void SetTimes(int dirFd, string name, Libc.Timespec atime, Libc.Timespec mtime, int flags, string shownPath)
        {
            var times = stackalloc Libc.Timespec[2];
            times[0] = atime;
            times[1] = mtime;
            if (Libc.utimensat(dirFd, name, times, flags) < 0) Errno.Throw($"utimes {shownPath}");
        }

        /// <summary>Directory times last: entries made inside a directory change its mtime.</summary>
        public void ApplyDirectoryTimes()
        {
            foreach (var (path, atime, mtime) in _directoryTimes)
            {
                int fd = ScopedPath.Open(baseFd, Join(destination, path), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, resolve);
                if (fd < 0) continue;   // replaced by a later entry
                try { SetTimes(fd, "", atime, mtime, AtEmptyPath, Shown(path)); }
                finally { Libc.close(fd); }
            }
        }

        /// <summary>The directory at <paramref name="relative"/> under the destination, created (0755) with its missing parents.</summary>
        private int OpenDirectory(string relative, bool create)
        {
            int fd = ScopedPath.Open(baseFd, Join(destination, relative), Libc.O_PATH | Libc.O_DIRECTORY, resolve);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.ENOENT || !create || relative.Length == 0)
                throw new SyscallException(errno, $"open {Shown(relative)}");
            int slash = relative.LastIndexOf('/');
            int parent = OpenDirectory(slash < 0 ? "" : relative[..slash], create: true);
            try
            {
                if (ScopedPath.OnPseudoFileSystem(parent)) throw new InvalidOperationException($"refusing to write {Shown(relative)}: it is in a kernel file system");
                if (Libc.mkdirat(parent, relative[(slash + 1)..], 0x1ED /* 0755 */) < 0 && Marshal.GetLastPInvokeError() != Errno.EEXIST)
                    Errno.Throw($"mkdir {Shown(relative)}");
            }
            finally { Libc.close(parent); }
            fd = ScopedPath.Open(baseFd, Join(destination, relative), Libc.O_PATH | Libc.O_DIRECTORY, resolve);
            if (fd < 0) Errno.Throw($"open {Shown(relative)}");
            return fd;
        }

        /// <summary>An entry name made relative and clean; a name that climbs out of the destination is refused.</summary>
        private string Normalize(string raw)
        {
            string renamed = options.Rename is { } rename ? rename(raw) : raw;
            string clean = CopyPaths.Clean("/" + renamed);
            if (renamed.Contains('\0')) throw new InvalidDataException($"invalid tar entry name \"{raw.Replace("\0", "\\0")}\"");
            // Clean("/" + name) cannot climb above "/": a ".." that would have is refused, as docker does.
            if (CopyPaths.Clean(renamed.TrimStart('/')).Split('/')[0] == "..")
                throw new InvalidDataException($"\"{raw}\" is outside of \"{shown}\"");
            return clean == "/" ? "." : clean[1..];
        }

        private string Shown(string relative) => relative.Length == 0 ? shown : shown.TrimEnd('/') + "/" + relative;

        private static string Join(string dir, string relative) => relative.Length == 0 ? dir : dir + "/" + relative;

        /// <summary>The access time a GNU header or a PAX "atime" record gives, if any (docker uses the later of it and mtime).</summary>
        private static DateTimeOffset? AccessTime(TarEntry entry)
        {
            if (entry is GnuTarEntry gnu) return gnu.AccessTime;
            if (entry is PaxTarEntry pax && pax.ExtendedAttributes.TryGetValue("atime", out var text)
                && decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                && seconds is > -62135596800m and < 253402300799m)
                return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return null;
        }

        private static Libc.Timespec Time(DateTimeOffset t)
        {
            long ticks = t.UtcTicks - DateTime.UnixEpoch.Ticks;
            long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
            if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
            return new Libc.Timespec(seconds, rest * 100);
        }
    }
}
