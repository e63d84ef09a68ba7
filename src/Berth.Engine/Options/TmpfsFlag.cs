namespace Berth.Engine.Options;

/// <summary>
/// A --tmpfs value, PATH[:OPTIONS], into HostConfig.Tmpfs's (path, options) pair. PATH must be
/// absolute and not "/" (the daemon's rule, with its words). OPTIONS is a comma list of mount flags
/// (ro, rw, exec, noexec, suid, nosuid, dev, nodev, sync, async, dirsync, atime, noatime, diratime,
/// nodiratime, relatime, norelatime, strictatime, nostrictatime, mand, nomand, propagations) and
/// tmpfs data (size=, mode=, uid=, gid=, nr_inodes=, nr_blocks=, mpol=) — what the daemon's
/// ParseTmpfsOptions accepts; anything else is refused here rather than at start.
/// </summary>
public static class TmpfsFlag
{
    private static readonly string[] s_flags =
    [
        "defaults", "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async", "dirsync",
        "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
        "strictatime", "nostrictatime", "private", "rprivate", "shared", "rshared", "slave", "rslave",
        "unbindable", "runbindable", "tmpcopyup", "notmpcopyup",
    ];
    private static readonly string[] s_data = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"];

    public static (string Path, string Options) Parse(string value)
    {
        int colon = value.IndexOf(':');
        string path = colon < 0 ? value : value[..colon];
        string options = colon < 0 ? "" : value[(colon + 1)..];
        ValidateDestination(path);
        if (options.Length > 0)
        {
            foreach (string option in options.Split(','))
            {
                int eq = option.IndexOf('=');
                bool known = eq < 0 ? s_flags.Contains(option) : s_data.Contains(option[..eq]) && eq < option.Length - 1;
                if (!known) throw new FormatException($"invalid tmpfs option {GoText.Quote(option)}");
            }
        }
        return (path, options);
    }

    internal static void ValidateDestination(string path)
    {
        if (GoText.CleanPath(path) == "/") throw new FormatException("invalid specification: destination can't be '/'");
        if (!path.StartsWith('/')) throw new FormatException($"invalid mount path: '{path}' mount path must be absolute");
    }
}
