using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>Turns OCI <c>linux.cgroupsPath</c> into the cgroup path Berth uses below each hierarchy root.</summary>
public static class CgroupPath
{
    /// <summary>Berth's own parent cgroup in every hierarchy.</summary>
    public const string BerthRoot = "/berth";

    /// <summary>
    /// <list type="bullet">
    /// <item>absolute ("/a/b"): used as given below each hierarchy root;</item>
    /// <item>relative ("a/b"): placed under /berth ("/berth/a/b");</item>
    /// <item>null or empty: "/berth/&lt;id&gt;".</item>
    /// </list>
    /// "." and ".." components, control characters and paths that name a hierarchy root or /berth
    /// itself are refused; so is runc's systemd form "slice:prefix:name" (cgroupfs driver only).
    /// </summary>
    /// <exception cref="SpecException">the path is not acceptable; the message names linux.cgroupsPath.</exception>
    public static string Resolve(string? cgroupsPath, string containerId)
    {
        if (string.IsNullOrEmpty(cgroupsPath))
        {
            if (!IsValidComponent(containerId))
                throw new SpecException($"container id \"{containerId}\" cannot name a cgroup (no '/', control characters, '.' or '..')");
            return $"{BerthRoot}/{containerId}";
        }

        string field = $"linux.cgroupsPath: \"{CgroupFile.Printable(cgroupsPath)}\"";
        if (cgroupsPath.Any(char.IsControl))
            throw new SpecException($"{field}: contains a control character");
        if (LooksLikeSystemd(cgroupsPath))
            throw new SpecException($"{field}: systemd cgroup driver not supported (expected a cgroupfs path such as \"/a/b\" or \"a/b\", not \"slice:prefix:name\")");

        bool absolute = cgroupsPath.StartsWith('/');
        var components = cgroupsPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var c in components)
            if (c is "." or "..")
                throw new SpecException($"{field}: '{c}' components are not allowed (the path must not leave its parent)");
        if (components.Length == 0)
            throw new SpecException($"{field}: names a hierarchy root; a container needs a cgroup of its own");

        string resolved = absolute ? "/" + string.Join('/', components) : $"{BerthRoot}/{string.Join('/', components)}";
        if (resolved == BerthRoot)
            throw new SpecException($"{field}: names Berth's shared parent cgroup {BerthRoot}; a container needs a cgroup of its own");
        return resolved;
    }

    /// <summary>True for "/berth/…": a cgroup in Berth's own subtree.</summary>
    public static bool IsUnderBerth(string path) => path.StartsWith(BerthRoot + "/", StringComparison.Ordinal);

    /// <summary>runc's systemd driver form: three ':'-separated fields, the first a slice ("system.slice", "" or "-").</summary>
    private static bool LooksLikeSystemd(string path)
    {
        var parts = path.Split(':');
        return parts.Length == 3 && !parts[0].Contains('/');
    }

    private static bool IsValidComponent(string name)
        => name.Length > 0 && name is not "." and not ".." && !name.Contains('/') && !name.Any(char.IsControl);

    /// <summary>The cgroup path and its ancestors, top first: "/berth/a/b" → ["/berth", "/berth/a", "/berth/a/b"].</summary>
    public static IReadOnlyList<string> Chain(string path)
    {
        var result = new List<string>();
        int index = 0;
        while ((index = path.IndexOf('/', index + 1)) > 0) result.Add(path[..index]);
        result.Add(path);
        return result;
    }
}

/// <summary>The cgroups a process is in, from /proc/&lt;pid&gt;/cgroup: v1 controller → path, and the
/// unified (v2, "0::") path when there is one.</summary>
public sealed record CgroupPaths(IReadOnlyDictionary<string, string> V1, string? Unified)
{
    public static CgroupPaths Current(int pid) => Parse(CgroupFile.Read($"/proc/{pid}/cgroup"));

    /// <summary>Parses lines "hierarchy-id:controller-list:path" ("4:memory:/a", "2:cpu,cpuacct:/b",
    /// "9:name=systemd:/", "0::/c"). Named hierarchies are kept under their "name=…" key.</summary>
    public static CgroupPaths Parse(string text)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? unified = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int first = line.IndexOf(':');
            int second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0) throw new FormatException($"/proc/<pid>/cgroup: malformed line \"{line}\"");
            string controllers = line[(first + 1)..second];
            string path = line[(second + 1)..];
            if (controllers.Length == 0 && line[..first] == "0") unified = path;
            else foreach (var c in controllers.Split(',')) v1[c] = path;
        }
        return new CgroupPaths(v1, unified);
    }
}
