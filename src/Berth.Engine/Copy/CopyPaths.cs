namespace Berth.Engine.Copy;

/// <summary>What `cp` knows of one end of a copy: docker's archive.CopyInfo.</summary>
/// <param name="RebaseName">The name the archive's root entry must get (a followed symlink keeps the link's name).</param>
public sealed record CopyInfo(string Path, bool Exists = false, bool IsDir = false, string? RebaseName = null);

/// <summary>A `cp` refusal in docker's words (no such directory, cannot copy directory, …).</summary>
public sealed class CopyException(string message) : InvalidOperationException(message);

/// <summary>
/// docker cp's path rules, as pure functions over slash-separated paths: Go's filepath.Clean, Split,
/// Base and Dir, the trailing "/" and "/." conventions, and how an archive of the source is renamed
/// so that extracting it in a directory gives the copy the user asked for.
/// <list type="bullet">
/// <item>SRC a file: DEST missing → written as DEST (an error if DEST ends with "/"); DEST a file →
/// overwritten; DEST a directory → copied into it under its own name.</item>
/// <item>SRC a directory: DEST missing → created as a copy of SRC; DEST a file → an error; DEST a
/// directory → SRC copied into it, or with SRC ending in "/." its contents.</item>
/// </list>
/// </summary>
public static class CopyPaths
{
    /// <summary>Go's filepath.Clean: one separator at a time, no "." elements, ".." applied, "." for nothing.</summary>
    public static string Clean(string path) => Options.GoText.CleanPath(path);

    /// <summary>Go's filepath.Base: the last element, trailing separators ignored; "/" for the root, "." for nothing.</summary>
    public static string Base(string path)
    {
        if (path.Length == 0) return ".";
        string trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) return "/";
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>Go's filepath.Dir: all but the last element, cleaned.</summary>
    public static string Dir(string path) => Clean(path[..(path.LastIndexOf('/') + 1)]);

    /// <summary>Go's filepath.Split: everything up to and including the last separator, and the rest.</summary>
    public static (string Dir, string File) Split(string path)
    {
        int slash = path.LastIndexOf('/');
        return (path[..(slash + 1)], path[(slash + 1)..]);
    }

    public static bool HasTrailingSeparator(string path) => path.Length > 0 && path[^1] == '/';

    public static bool SpecifiesCurrentDir(string path) => Base(path) == ".";

    /// <summary>A destination the user marked as a directory: "dir/" or "dir/.".</summary>
    public static bool AssertsDirectory(string path) => HasTrailingSeparator(path) || SpecifiesCurrentDir(path);

    /// <summary>Gives a cleaned path back the trailing "/." or "/" of the path it was cleaned from.</summary>
    public static string PreserveTrailingDotOrSeparator(string cleaned, string original)
    {
        if (!SpecifiesCurrentDir(cleaned) && SpecifiesCurrentDir(original))
        {
            if (!HasTrailingSeparator(cleaned)) cleaned += "/";
            cleaned += ".";
        }
        if (!HasTrailingSeparator(cleaned) && HasTrailingSeparator(original)) cleaned += "/";
        return cleaned;
    }

    /// <summary>A path inside a container as docker takes it: relative to its root, trailing "/" or "/." kept.</summary>
    public static string ContainerPath(string path) => PreserveTrailingDotOrSeparator(Clean("/" + path), path);

    /// <summary>docker's SplitPathDirEntry: the directory and the entry a path names ("." for "dir/.").</summary>
    public static (string Dir, string Base) SplitPathDirEntry(string path)
    {
        string cleaned = Clean(path);
        if (SpecifiesCurrentDir(path)) cleaned += "/.";
        return (Dir(cleaned), Base(cleaned));
    }

    /// <summary>The name of the root entry of an archive of <paramref name="path"/>: its base, "." for the root directory itself.</summary>
    public static string ArchiveRootName(string path)
    {
        string name = SplitPathDirEntry(path).Base;
        return name == "/" ? "." : name;
    }

    /// <summary>
    /// docker's GetRebaseName: after a symlink at <paramref name="path"/> was resolved to
    /// <paramref name="resolved"/>, the resolved path with the original's trailing "/" or "/.", and
    /// the original's last element when the archive must be renamed to it.
    /// </summary>
    public static (string Resolved, string? RebaseName) GetRebaseName(string path, string resolved)
    {
        if (SpecifiesCurrentDir(path) && !SpecifiesCurrentDir(resolved)) resolved += "/.";
        if (HasTrailingSeparator(path) && !HasTrailingSeparator(resolved)) resolved += "/";
        return (resolved, Base(path) != Base(resolved) ? Base(path) : null);
    }

    /// <summary>
    /// docker's splitCpArg: "CONTAINER:PATH", or a local path (absolute, without a colon, or
    /// starting with "." as in "./file:name.txt").
    /// </summary>
    public static (string? Container, string Path) SplitCpArg(string arg)
    {
        if (arg.StartsWith('/')) return (null, arg);
        int colon = arg.IndexOf(':');
        if (colon < 0 || arg.StartsWith('.')) return (null, arg);
        return (arg[..colon], arg[(colon + 1)..]);
    }

    /// <summary>
    /// docker's PrepareArchiveCopy: the directory the archive of <paramref name="source"/> is extracted
    /// in, and the name its root entry must have there (null: as it is).
    /// </summary>
    public static (string DestDir, string? RootName) PrepareArchiveCopy(CopyInfo source, CopyInfo dest)
    {
        var (destDir, destBase) = SplitPathDirEntry(dest.Path);
        if (dest.Exists && dest.IsDir) return (dest.Path, null);
        if (dest.Exists && source.IsDir) throw new CopyException("cannot copy directory");
        if (dest.Exists || source.IsDir) return (destDir, destBase);
        if (AssertsDirectory(dest.Path)) throw new CopyException("no such directory");
        return (destDir, destBase);
    }

    /// <summary>
    /// A tar entry name with its first element <paramref name="oldRoot"/> replaced by <paramref name="newRoot"/>
    /// (docker's RebaseArchiveEntries); other names unchanged.
    /// </summary>
    public static string Rebase(string name, string oldRoot, string newRoot)
    {
        if (name == oldRoot || name == oldRoot + "/") return newRoot + name[oldRoot.Length..];
        if (name.StartsWith(oldRoot + "/", StringComparison.Ordinal)) return newRoot + name[oldRoot.Length..];
        return name;
    }
}
