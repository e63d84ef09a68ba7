using Berth.Images.Manifests;
using Berth.Linux;

namespace Berth.Images.Layers;

/// <summary>
/// Resolves the parent directory of layer-relative paths to an O_PATH descriptor, one component at
/// a time from the root with O_NOFOLLOW | O_DIRECTORY: a component that is a symlink (or not a
/// directory) is refused, never followed, so no path can lead outside the root.
/// <para>
/// The descriptors of the last parent's components stay open, so entries in the same directory (tar
/// order groups them) resolve with no system call. The cache holds descriptors, not names: an entry
/// that later replaces one of those directories by something else cannot redirect them; at worst
/// they point at a directory that was unlinked, which is why the owner calls <see cref="Reset"/>
/// whenever it removes a directory outside the current parent chain.
/// </para>
/// </summary>
internal sealed class DirWalker(int rootFd, DirWalker.CreatedHandler? onCreated) : IDisposable
{
    public enum Mode
    {
        /// <summary>Create missing directories (0755); a symlink or non-directory component throws.</summary>
        Create,
        /// <summary>Missing directories give -1; a symlink or non-directory component throws.</summary>
        Open,
        /// <summary>Anything but an existing chain of real directories gives -1.</summary>
        Try,
    }

    /// <summary>Called after the walker created the missing directory <paramref name="name"/> in <paramref name="dirfd"/> (layer path <paramref name="path"/>).</summary>
    public delegate void CreatedHandler(int dirfd, string name, string path);

    private readonly List<string> _names = [];
    private readonly List<int> _fds = [];

    /// <summary>
    /// The directory holding <c>path[..end]</c>'s components, i.e. for a path "a/b/c" and end = 3,
    /// the descriptor of "a/b". The descriptor belongs to the walker: valid until the next call.
    /// <paramref name="entry"/> names the tar entry in errors.
    /// </summary>
    public int Resolve(string path, int end, Mode mode, string entry)
    {
        int depth = 0, pos = 0;
        while (pos < end)
        {
            int next = path.IndexOf('/', pos, end - pos);
            if (next < 0) next = end;
            var component = path.AsSpan(pos, next - pos);
            if (depth < _names.Count && component.SequenceEqual(_names[depth]))
            {
                depth++;
                pos = next + 1;
                continue;
            }
            Truncate(depth);
            int dirfd = depth == 0 ? rootFd : _fds[depth - 1];
            string name = component.ToString();
            int fd = OpenComponent(dirfd, name, path, next, mode, entry);
            if (fd < 0)
            {
                Truncate(depth);
                return -1;
            }
            _names.Add(name);
            _fds.Add(fd);
            depth++;
            pos = next + 1;
        }
        Truncate(depth);
        return depth == 0 ? rootFd : _fds[depth - 1];
    }

    private int OpenComponent(int dirfd, string name, string path, int end, Mode mode, string entry)
    {
        const int Flags = Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        int fd = Libc.openat(dirfd, name, Flags);
        if (fd >= 0) return fd;
        int errno = FsOps.LastErrno;
        string prefix = path[..end];
        if (errno == Errno.ENOENT)
        {
            if (mode != Mode.Create) return -1;
            FsOps.Check(Libc.mkdirat(dirfd, name, 0x1ED /* 0755 */), "mkdir", prefix);
            onCreated?.Invoke(dirfd, name, prefix);
            fd = Libc.openat(dirfd, name, Flags);
            if (fd < 0) FsOps.Throw("open", prefix);
            return fd;
        }
        if (errno is Errno.ENOTDIR or Errno.ELOOP)
        {
            if (mode == Mode.Try) return -1;
            bool symlink = FsOps.TryStat(dirfd, name, out var st, prefix) && st.Type == Libc.S_IFLNK;
            throw new ImageFormatException(symlink
                ? $"layer entry {TarPath.Quote(entry)}: parent {TarPath.Quote(prefix)} is a symbolic link; refusing to follow it"
                : $"layer entry {TarPath.Quote(entry)}: parent {TarPath.Quote(prefix)} is not a directory");
        }
        if (errno == Errno.ENAMETOOLONG)
            throw new ImageFormatException($"layer entry {TarPath.Quote(entry)}: path component too long");
        FsOps.Throw("open", prefix);
        return -1;
    }

    /// <summary>Forgets every cached descriptor.</summary>
    public void Reset() => Truncate(0);

    private void Truncate(int depth)
    {
        for (int i = _fds.Count - 1; i >= depth; i--) Libc.close(_fds[i]);
        if (depth < _fds.Count)
        {
            _fds.RemoveRange(depth, _fds.Count - depth);
            _names.RemoveRange(depth, _names.Count - depth);
        }
    }

    public void Dispose() => Reset();
}
