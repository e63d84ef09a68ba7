using System.Runtime.InteropServices;
using Berth.Engine.Copy;
using Berth.Engine.Model;
using Berth.Images.Snapshots;
using Berth.Images.Store;
using Berth.Linux;

namespace Berth.Engine.Containers;

/// <summary>A path's stat as docker's archive API reports it (X-Docker-Container-Path-Stat).</summary>
/// <param name="Mode">st_mode: type and permission bits.</param>
/// <param name="LinkTarget">For a symlink, where it leads once every link is followed inside the container (an absolute path); else "".</param>
public sealed record PathStat(string Name, long Size, uint Mode, DateTime Mtime, string LinkTarget)
{
    public bool IsDir => (Mode & Libc.S_IFMT) == Libc.S_IFDIR;
    public bool IsSymlink => (Mode & Libc.S_IFMT) == Libc.S_IFLNK;
    public bool IsRegular => (Mode & Libc.S_IFMT) == Libc.S_IFREG;
}

/// <summary>
/// An archive of one path of a container, located and ready to be written. The container's files
/// stay open until it is disposed (a stopped container's temporary mount, and its lock).
/// </summary>
public sealed class PathArchive : IDisposable
{
    private readonly ContainerFiles _files;
    private readonly int _dirFd;
    private readonly string _leaf, _rootName;

    internal PathArchive(ContainerFiles files, int dirFd, string leaf, PathStat stat, string rootName)
    {
        _files = files;
        _dirFd = dirFd;
        _leaf = leaf;
        Stat = stat;
        _rootName = rootName;
    }

    public PathStat Stat { get; }

    /// <summary>The name of the archive's root entry: the path's last element, "." for "dir/." and "/".</summary>
    public string RootName => _rootName;

    /// <summary>Writes the tar: a file as one entry named by the path's last element, a directory with all it holds. Returns the bytes of file content.</summary>
    public long WriteTo(Stream output)
    {
        using var writer = new TarTreeWriter(output, skipPseudoFileSystems: _files.Live, ContainerEngine.ToContainerIds(_files.Container));
        if (Stat.IsDir)
        {
            int fd = Libc.openat(_dirFd, _leaf.Length == 0 ? "." : _leaf, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0) Errno.Throw($"open {_rootName}");
            try { writer.AddDirectory(fd, _rootName); }
            finally { Libc.close(fd); }
        }
        else writer.Add(_dirFd, _leaf, _rootName);
        return writer.ContentBytes;
    }

    public void Dispose()
    {
        Libc.close(_dirFd);
        _files.Dispose();
    }
}

/// <summary>
/// A container's files, open for `cp`: a descriptor of its root under which every path is resolved
/// with RESOLVE_IN_ROOT. A running container is reached through its init's /proc/PID/root, which
/// shows every mount it has (volumes, binds, tmpfs); a stopped one gets a temporary read-write
/// overlay of its image layers and its own upper and work directories, mounted detached (it
/// exists only as the descriptor and vanishes with it, even if Berth is killed), with its volumes
/// and binds attached inside; the container's lock is held meanwhile, so it cannot start and
/// mount the same upper directory twice.
/// </summary>
internal sealed class ContainerFiles(Container container, string reference, int rootFd, bool live, FileLock? held) : IDisposable
{
    public Container Container => container;
    public string Reference => reference;
    public int RootFd => rootFd;
    /// <summary>The root is the running container's own (its /proc, /sys and cgroupfs are mounted there).</summary>
    public bool Live => live;

    public ContainerException NotFound(string path) => new($"Could not find the file {path} in container {reference}", 1);

    /// <summary>The directory holding <paramref name="path"/> (a descriptor) and its last element ("" for the directory itself), as docker's ResolvePath: the last element is not followed.</summary>
    public (int DirFd, string Leaf, Libc.Statx Stat, string AbsPath) Locate(string path)
    {
        string abs = CopyPaths.ContainerPath(path);
        var (dirPart, basePart) = CopyPaths.Split(abs);
        string dir = ScopedPath.Resolve(rootFd, dirPart);
        int dirFd = ScopedPath.Open(rootFd, dir, Libc.O_PATH | Libc.O_DIRECTORY, ScopedPath.InRoot);
        if (dirFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) throw NotFound(path);
            throw new SyscallException(errno, $"open {dir}");
        }
        string leaf = basePart is "" or "." ? "" : basePart;
        if (!ScopedPath.TryStat(dirFd, leaf, out var st))
        {
            Libc.close(dirFd);
            throw NotFound(path);
        }
        return (dirFd, leaf, st, abs);
    }

    public PathStat StatOf(in Libc.Statx st, string abs) => new(
        CopyPaths.Base(abs), (long)st.stx_size, st.stx_mode,
        DateTime.UnixEpoch.AddSeconds(st.stx_mtime.tv_sec).AddTicks(st.stx_mtime.tv_nsec / 100),
        st.Type == Libc.S_IFLNK ? ScopedPath.Resolve(rootFd, abs) : "");

    public void Dispose()
    {
        Libc.close(rootFd);
        held?.Dispose();
    }
}

// docker cp's daemon half: stat a path, archive it, extract an archive into a directory.
public sealed partial class ContainerEngine
{
    /// <summary>docker's HEAD /containers/{id}/archive: what is at a path (a symlink itself, not its target).</summary>
    public PathStat StatPath(string reference, string path)
    {
        using var files = OpenFiles(reference);
        var (dirFd, _, st, abs) = files.Locate(path);
        try { return files.StatOf(st, abs); }
        finally { Libc.close(dirFd); }
    }

    /// <summary>
    /// docker's GET /containers/{id}/archive: the tar of a path. Entries are named from the path's
    /// last element ("etc/…" for /etc, "./…" for /etc/.), a symlink at the end is archived as itself.
    /// </summary>
    public PathArchive ArchivePath(string reference, string path)
    {
        var files = OpenFiles(reference);
        try
        {
            var (dirFd, leaf, st, abs) = files.Locate(path);
            try
            {
                var archive = new PathArchive(files, dirFd, leaf, files.StatOf(st, abs), CopyPaths.ArchiveRootName(abs));
                Events.Container(files.Container, "archive-path");
                return archive;
            }
            catch { Libc.close(dirFd); throw; }
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    /// <summary>
    /// docker's PUT /containers/{id}/archive: extracts a tar into the directory at <paramref name="path"/>
    /// (symlinks followed inside the container, the last one too). Owners are the archive's; with
    /// <paramref name="copyUidGid"/> and a Config.User, that user's. Returns the bytes of file content written.
    /// </summary>
    public long ExtractToDir(string reference, string path, Stream tar, bool copyUidGid)
    {
        using var files = OpenFiles(reference);
        var c = files.Container;
        string abs = CopyPaths.ContainerPath(path);
        string resolved = ScopedPath.Resolve(files.RootFd, abs);
        int fd = ScopedPath.Open(files.RootFd, resolved, Libc.O_PATH, ScopedPath.InRoot);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) throw files.NotFound(path);
            throw new SyscallException(errno, $"open {resolved}");
        }
        try
        {
            if (!ScopedPath.TryStat(fd, "", out var st) || st.Type != Libc.S_IFDIR)
                throw new ContainerException("extraction point is not a directory", 1);
        }
        finally { Libc.close(fd); }

        // docker's rule: into a volume only if it is writable, elsewhere only if the root is.
        var volume = c.Mounts.Where(m => m.Type is "bind" or "volume" or "tmpfs" && HasResource(m.Destination, resolved))
            .MaxBy(m => m.Destination.Length);
        if (volume is { RW: false }) throw new ContainerException("mounted volume is marked read-only", 1);
        if (volume is null && c.HostConfig.ReadonlyRootfs) throw new ContainerException("container rootfs is marked read-only", 1);

        var options = new ExtractOptions { MapId = ToHostIds(c) };
        if (copyUidGid && c.Config.User.Length > 0)
        {
            var (uid, gid, _) = UserLookup.Resolve($"/proc/self/fd/{files.RootFd}", c.Config.User, null);
            options = options with { Owner = (uid, gid) };
        }
        long written = TarTreeExtractor.Extract(tar, files.RootFd, resolved, ScopedPath.InRoot, resolved, options);
        Events.Container(c, "extract-to-dir");
        return written;
    }

    private static bool HasResource(string destination, string path)
    {
        string d = destination.TrimEnd('/');
        return path == d || d.Length == 0 || path.StartsWith(d + "/", StringComparison.Ordinal);
    }

    /// <summary>Opens a container's files for cp: its live root if it runs, else a temporary mount under its lock.</summary>
    private ContainerFiles OpenFiles(string reference)
    {
        var c = Get(reference);
        if (OpenLiveRoot(c) is { } live) return new ContainerFiles(c, reference, live, live: true, held: null);
        var held = Store.Lock(c.Id);
        try
        {
            c = Refresh(Store.Load(c.Id));
            if (OpenLiveRoot(c) is { } again)
            {
                held.Dispose();
                return new ContainerFiles(c, reference, again, live: true, held: null);
            }
            string rootfs = RootfsOf(c.Id);
            if (Libc.IsMountPoint(rootfs))
            {
                // Mounted with no process in it (between two runs of a restart policy): that mount is the root.
                int fd = Libc.open(rootfs, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
                if (fd < 0) Errno.Throw($"open {rootfs}");
                return new ContainerFiles(c, reference, fd, live: false, held);
            }
            int root = MountDetachedRoot(c);
            try { AttachVolumes(c, root); }
            catch { Libc.close(root); throw; }
            return new ContainerFiles(c, reference, root, live: false, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>/proc/PID/root of the container's init, if it runs; null if not (or it stopped meanwhile).</summary>
    private unsafe int? OpenLiveRoot(Container c)
    {
        if (!c.State.Running || c.State.Pid <= 0) return null;
        int pid = c.State.Pid;
        int pidfd = Libc.PidfdOpen(pid);
        if (pidfd < 0) return null;
        try
        {
            int root = Libc.open($"/proc/{pid}/root", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            if (root < 0) return null;
            // The pid was read from the state: it must still be the container's init, alive, after the open.
            var now = Store.TryLoad(c.Id);
            var poll = new Libc.PollFd { fd = pidfd, events = Libc.POLLIN };
            bool exited = Libc.poll(&poll, 1, 0) > 0;
            if (now is null || !now.State.Running || now.State.Pid != pid || exited)
            {
                Libc.close(root);
                return null;
            }
            return root;
        }
        finally { Libc.close(pidfd); }
    }

    /// <summary>A stopped container's root: a detached read-write overlay of its image and its own layer.</summary>
    private int MountDetachedRoot(Container c)
    {
        var image = Images.TryGet(c.Image) ?? throw new ContainerException($"image {c.Image} of container {c.ShortId} is gone");
        string dir = Store.DirOf(c.Id);
        string upper = Path.Combine(dir, "diff");
        if (Storage.Driver == "vfs")
        {
            // The vfs "upper" is the whole root, copied from the image at the first start.
            string marker = Path.Combine(dir, "vfs-copied");
            if (!File.Exists(marker))
            {
                CopyMerge.Merge(image.Chain.Select(Storage.Snapshots.FsPath).ToList(), upper);
                File.WriteAllText(marker, "");
            }
            return Libc.OpenTreeClone(upper, recursive: false);
        }
        var views = new List<int>();
        try
        {
            var lower = LayersFor(c, image, views);
            if (lower.Count == 0)
            {
                string empty = Path.Combine(dir, "empty");
                Directory.CreateDirectory(empty);
                lower.Add(empty);
            }
            return OverlayMount.MountDetached(lower, upper, Path.Combine(dir, "work"), readOnly: false);
        }
        finally { foreach (int view in views) Libc.close(view); }
    }

    /// <summary>
    /// The image's layers for an overlay of the container, top first. A container with its own user
    /// namespace sees them idmapped, as its start mounts them: detached idmapped clones, named by
    /// their /proc/self/fd paths; their descriptors are added to <paramref name="views"/>, for the
    /// caller to close once the overlay holds them.
    /// </summary>
    private List<string> LayersFor(Container c, ImageRecord image, List<int> views)
    {
        var lower = Images.LowerDirs(image);
        if (c.UsernsRange is not { } range || lower.Count == 0) return lower;
        int userns = UserNamespaces.Open(range);
        try
        {
            var mapped = new List<string>();
            foreach (string layer in lower)
            {
                int tree = Libc.OpenTreeClone(layer, recursive: false);
                views.Add(tree);
                Libc.MountSetIdmap(tree, userns, layer);
                mapped.Add($"/proc/self/fd/{tree}");
            }
            return mapped;
        }
        finally { Libc.close(userns); }
    }

    /// <summary>Owners on disk as the container knows them: its host ids shifted back, others the overflow id (65534).</summary>
    internal static Func<uint, uint>? ToContainerIds(Container c) =>
        c.UsernsRange is { } r ? id => id >= r.HostId && id - r.HostId < r.Size ? id - r.HostId : 65534 : null;

    /// <summary>The container's ids as they are written on disk: shifted into its range of host ids.</summary>
    internal static Func<uint, uint>? ToHostIds(Container c) =>
        c.UsernsRange is { } r ? id => id < r.Size ? r.HostId + id : throw new ContainerException($"id {id} is outside the container's user namespace (0-{r.Size - 1})", 1) : null;

    /// <summary>
    /// Attaches a stopped container's volumes and binds inside its detached root, making their mount
    /// points first where the container never ran (as docker does, and as its start would). Kernels
    /// before 6.15 cannot attach mounts to a detached tree: there the copy sees the root's own files
    /// under those paths.
    /// </summary>
    private static void AttachVolumes(Container c, int rootFd)
    {
        foreach (var m in c.Mounts.Where(m => m.Type is "bind" or "volume").OrderBy(m => m.Destination.Count(ch => ch == '/')))
        {
            uint sourceType = Libc.FileTypeAt(m.Source, followSymlink: true);
            if (sourceType == 0) continue;
            int target = ScopedPath.Open(rootFd, m.Destination, Libc.O_PATH, ScopedPath.InRoot);
            if (target < 0 && Marshal.GetLastPInvokeError() == Errno.ENOENT)
            {
                MakeMountPoint(rootFd, m.Destination, sourceType == Libc.S_IFDIR);
                target = ScopedPath.Open(rootFd, m.Destination, Libc.O_PATH, ScopedPath.InRoot);
            }
            if (target < 0) continue;
            try
            {
                int tree = Libc.OpenTreeClone(m.Source, recursive: true);
                try
                {
                    // A read-only one that cannot be made so stays out (cp refuses its paths anyway).
                    if (!m.RW) Libc.MountSetattrFd(tree, Libc.MOUNT_ATTR_RDONLY, 0, m.Source);
                    Libc.MoveMountFd(tree, target);
                }
                catch (SyscallException) { }
                finally { Libc.close(tree); }
            }
            finally { Libc.close(target); }
        }
    }

    /// <summary>Creates a missing mount point inside the root, with its missing parents (0755): a directory, or an empty file.</summary>
    private static void MakeMountPoint(int rootFd, string destination, bool directory)
    {
        var parts = destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string path = "";
        for (int i = 0; i < parts.Length; i++)
        {
            int parent = ScopedPath.Open(rootFd, path, Libc.O_PATH | Libc.O_DIRECTORY, ScopedPath.InRoot);
            if (parent < 0) return;
            try
            {
                bool last = i == parts.Length - 1;
                if (ScopedPath.TryStat(parent, parts[i], out _)) { }
                else if (last && !directory)
                {
                    int fd = Libc.openat(parent, parts[i], Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
                    if (fd >= 0) Libc.close(fd);
                }
                else Libc.mkdirat(parent, parts[i], 0x1ED /* 0755 */);
            }
            finally { Libc.close(parent); }
            path += "/" + parts[i];
        }
    }
}
