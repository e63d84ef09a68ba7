using Berth.Linux;

namespace Berth.Runtime.Rootfs;

/// <summary>
/// Joins a path from a container's config to its root the way the container will see it:
/// symlinks are followed relative to the root and ".." stops at the root, so a hostile rootfs
/// (a symlink "/etc -> /host/etc") cannot send a mount outside of it.
/// </summary>
public static class SecurePath
{
    private const int MaxLinks = 255;

    public static string Join(string root, string unsafePath)
    {
        root = Path.TrimEndingDirectorySeparator(root);
        var pending = new Stack<string>(Split(unsafePath).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            string candidate = root + "/" + string.Join('/', resolved.Append(part));
            // One statx per component (this runs for every mount of every start); a readlink only for links.
            if (Libc.FileTypeAt(candidate, followSymlink: false) == Libc.S_IFLNK && Libc.ReadLinkOrNull(candidate) is { } target)
            {
                if (++links > MaxLinks) throw new RuntimeException($"{unsafePath}: too many levels of symbolic links");
                if (target.StartsWith('/')) resolved.Clear();
                foreach (string t in Split(target).Reverse()) pending.Push(t);
                continue;
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : root + "/" + string.Join('/', resolved);
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
