using System.Runtime.InteropServices;
using Berth.Linux;

namespace Berth.Engine.Copy;

/// <summary>
/// docker cp's client half, on the host's files: where a source and a destination really are
/// (CopyInfoSourcePath, CopyInfoDestinationPath), the archive of a host source, and the
/// extraction of a container's archive into a host path (CopyTo). The user's own paths are
/// resolved as the user wrote them; what the archive holds is extracted with RESOLVE_BENEATH, so
/// nothing a container put in it can reach outside the destination.
/// </summary>
public static class HostCopy
{
    /// <summary>docker's resolveLocalPath: absolute, with the trailing "/" or "/." kept.</summary>
    public static string LocalPath(string path) =>
        CopyPaths.PreserveTrailingDotOrSeparator(CopyPaths.Clean(Path.GetFullPath(path)), path);

    /// <summary>docker's ValidateOutputPath: the parent must exist, and the path be a directory or a regular file if it exists.</summary>
    public static void ValidateOutputPath(string path)
    {
        string dir = CopyPaths.Dir(CopyPaths.Clean(path));
        if (dir is not ("" or ".") && !Path.Exists(dir)) throw new CopyException($"invalid output path: directory \"{dir}\" does not exist");
        uint type = Libc.FileTypeAt(path, followSymlink: true);
        if (type is 0 or Libc.S_IFDIR or Libc.S_IFREG) return;
        string got = type is Libc.S_IFCHR or Libc.S_IFBLK ? "got a device" : "got an irregular file";
        throw new CopyException($"invalid output path: \"{path}\" must be a directory or a regular file: {got}");
    }

    /// <summary>
    /// docker's CopyInfoSourcePath: the source with its parent's symlinks resolved; with
    /// <paramref name="followLink"/> the last element's too, the archive then named as the link.
    /// </summary>
    public static CopyInfo SourceInfo(string path, bool followLink)
    {
        string resolved;
        string? rebase = null;
        if (followLink)
            (resolved, rebase) = CopyPaths.GetRebaseName(path, RealPath(path));
        else
        {
            var (dir, file) = CopyPaths.Split(path);
            string resolvedDir = RealPath(dir.Length == 0 ? "." : dir);
            resolved = resolvedDir.TrimEnd('/') + "/" + file;
            if (CopyPaths.HasTrailingSeparator(path) && CopyPaths.Base(path) != CopyPaths.Base(resolved)) rebase = CopyPaths.Base(path);
        }
        if (Libc.statx(Libc.AT_FDCWD, resolved, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, out var st) != 0)
            throw NotFound("lstat", resolved);
        return new CopyInfo(resolved, Exists: true, IsDir: st.Type == Libc.S_IFDIR, RebaseName: rebase);
    }

    /// <summary>
    /// docker's CopyInfoDestinationPath: a destination that is a symlink is the place it leads to
    /// (followed up to 10 times); a missing one needs an existing parent directory.
    /// </summary>
    public static CopyInfo DestinationInfo(string path)
    {
        bool exists = Lstat(path, out var st);
        for (int n = 0; exists && st.Type == Libc.S_IFLNK; n++)
        {
            if (n > 10) throw new CopyException("too many symlinks in " + path);
            string target = new FileInfo(path).LinkTarget ?? "";
            if (!target.StartsWith('/')) target = CopyPaths.Clean(CopyPaths.SplitPathDirEntry(path).Dir + "/" + target);
            path = target;
            exists = Lstat(path, out st);
        }
        if (exists) return new CopyInfo(path, Exists: true, IsDir: st.Type == Libc.S_IFDIR);
        string parent = CopyPaths.SplitPathDirEntry(path).Dir;
        if (Libc.statx(Libc.AT_FDCWD, parent, 0, Libc.STATX_TYPE, out var parentStat) != 0) throw NotFound("stat", parent);
        if (parentStat.Type != Libc.S_IFDIR) throw new CopyException("not a directory");
        return new CopyInfo(path);
    }

    /// <summary>The tar of a host source (docker's TarResource), its root entry named <paramref name="rootName"/>. Returns the bytes of file content.</summary>
    public static long WriteArchive(CopyInfo source, string rootName, Stream output)
    {
        var (dir, name) = CopyPaths.SplitPathDirEntry(source.Path);
        int dirFd = Libc.open(dir, (name == "." ? Libc.O_RDONLY : Libc.O_PATH) | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (dirFd < 0) throw NotFound("open", dir);
        try
        {
            using var writer = new TarTreeWriter(output, skipPseudoFileSystems: false);
            if (name == ".") writer.AddDirectory(dirFd, rootName);
            else writer.Add(dirFd, name, rootName);
            return writer.ContentBytes;
        }
        finally { Libc.close(dirFd); }
    }

    /// <summary>
    /// docker's CopyTo: extracts the archive of <paramref name="source"/> (its root entry named
    /// <paramref name="archiveRoot"/>) so that <paramref name="destination"/> becomes the copy.
    /// Files get the extracting user as owner, as docker's client gives them. Returns the bytes of file content.
    /// </summary>
    public static long CopyTo(Stream tar, CopyInfo source, string archiveRoot, string destination)
    {
        var dest = DestinationInfo(destination);
        var (destDir, rootName) = CopyPaths.PrepareArchiveCopy(source, dest);
        string? newRoot = rootName ?? source.RebaseName;
        int baseFd = Libc.open(destDir, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (baseFd < 0) throw NotFound("open", destDir);
        try
        {
            var options = new ExtractOptions
            {
                KeepOwners = false,
                Rename = newRoot is null || newRoot == archiveRoot ? null : name => CopyPaths.Rebase(name, archiveRoot, newRoot),
            };
            return TarTreeExtractor.Extract(tar, baseFd, "", ScopedPath.Beneath, destDir, options);
        }
        finally { Libc.close(baseFd); }
    }

    private static bool Lstat(string path, out Libc.Statx st) =>
        Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, out st) == 0;

    /// <summary>Go's filepath.EvalSymlinks: the path with every symlink followed (it must exist).</summary>
    private static string RealPath(string path)
    {
        int fd = Libc.open(path, Libc.O_PATH | Libc.O_CLOEXEC);
        if (fd < 0) throw NotFound("lstat", path);
        try { return new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? path; }
        finally { Libc.close(fd); }
    }

    private static Exception NotFound(string operation, string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Errno.ENOENT => new CopyException($"{operation} {path}: no such file or directory"),
            Errno.ENOTDIR => new CopyException($"{operation} {path}: not a directory"),
            _ => new SyscallException(errno, $"{operation} {path}"),
        };
    }
}
