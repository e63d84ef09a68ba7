using Berth.Oci;
using static Berth.Linux.Libc;

namespace Berth.Runtime.Mounts;

/// <summary>
/// The <c>options</c> of one OCI mount, sorted the way runc does (specconv parseMountOptions) into
/// what each system call needs: mount(2) flags to set and to clear, propagation changes (each a
/// separate mount(2) call), recursive attributes for mount_setattr(2) with AT_RECURSIVE, and the
/// filesystem-specific rest, comma-joined, as mount(2)'s data string.
/// </summary>
/// <remarks>
/// Later options override earlier ones ("ro,rw" is rw), as with mount(8). An option that is not one
/// of the names below is filesystem data ("mode=755", "size=64m", "newinstance"), never an error.
/// The extensions Berth does not implement (tmpcopyup, idmap, ridmap) are errors, so a config that
/// asks for them fails before anything is mounted.
/// </remarks>
public sealed record MountOptions
{
    /// <summary>MS_* bits to set in the mount(2) flags.</summary>
    public ulong MountFlags { get; init; }

    /// <summary>MS_* bits the options explicitly clear ("rw", "suid", "exec", ...), for remounts that must drop them.</summary>
    public ulong ClearedFlags { get; init; }

    /// <summary>Propagation changes in the order given: MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, with MS_REC for the r-forms.</summary>
    public IReadOnlyList<ulong> Propagation { get; init; } = [];

    /// <summary>MOUNT_ATTR_* bits to set recursively (mount_attr.attr_set).</summary>
    public ulong AttrSet { get; init; }

    /// <summary>MOUNT_ATTR_* bits to clear recursively (mount_attr.attr_clr).</summary>
    public ulong AttrClr { get; init; }

    /// <summary>The filesystem-specific options, comma-joined ("" if none).</summary>
    public string Data { get; init; } = "";

    public bool IsBind => (MountFlags & MS_BIND) != 0;

    public bool IsRecursiveBind => IsBind && (MountFlags & MS_REC) != 0;

    public bool ReadOnly => (MountFlags & MS_RDONLY) != 0;

    /// <summary>Whether mount_setattr(2) has anything to do.</summary>
    public bool HasRecursiveAttributes => AttrSet != 0 || AttrClr != 0;

    // (clear, flag): "clear" options remove the flag, the others add it.
    private static readonly Dictionary<string, (bool Clear, ulong Flag)> s_flags = new(StringComparer.Ordinal)
    {
        ["async"] = (true, MS_SYNCHRONOUS),
        ["atime"] = (true, MS_NOATIME),
        ["bind"] = (false, MS_BIND),
        ["defaults"] = (false, 0),
        ["dev"] = (true, MS_NODEV),
        ["diratime"] = (true, MS_NODIRATIME),
        ["dirsync"] = (false, MS_DIRSYNC),
        ["exec"] = (true, MS_NOEXEC),
        ["iversion"] = (false, MS_I_VERSION),
        ["lazytime"] = (false, MS_LAZYTIME),
        ["loud"] = (true, MS_SILENT),
        ["mand"] = (false, MS_MANDLOCK),
        ["noatime"] = (false, MS_NOATIME),
        ["nodev"] = (false, MS_NODEV),
        ["nodiratime"] = (false, MS_NODIRATIME),
        ["noexec"] = (false, MS_NOEXEC),
        ["noiversion"] = (true, MS_I_VERSION),
        ["nolazytime"] = (true, MS_LAZYTIME),
        ["nomand"] = (true, MS_MANDLOCK),
        ["norelatime"] = (true, MS_RELATIME),
        ["nostrictatime"] = (true, MS_STRICTATIME),
        ["nosuid"] = (false, MS_NOSUID),
        ["nosymfollow"] = (false, MS_NOSYMFOLLOW),
        ["rbind"] = (false, MS_BIND | MS_REC),
        ["relatime"] = (false, MS_RELATIME),
        ["remount"] = (false, MS_REMOUNT),
        ["ro"] = (false, MS_RDONLY),
        ["rw"] = (true, MS_RDONLY),
        ["silent"] = (false, MS_SILENT),
        ["strictatime"] = (false, MS_STRICTATIME),
        ["suid"] = (true, MS_NOSUID),
        ["symfollow"] = (true, MS_NOSYMFOLLOW),
        ["sync"] = (false, MS_SYNCHRONOUS),
    };

    private static readonly Dictionary<string, ulong> s_propagation = new(StringComparer.Ordinal)
    {
        ["shared"] = MS_SHARED,
        ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE,
        ["rslave"] = MS_SLAVE | MS_REC,
        ["private"] = MS_PRIVATE,
        ["rprivate"] = MS_PRIVATE | MS_REC,
        ["unbindable"] = MS_UNBINDABLE,
        ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    private static readonly Dictionary<string, (bool Clear, ulong Attr)> s_recursiveAttrs = new(StringComparer.Ordinal)
    {
        ["rro"] = (false, MOUNT_ATTR_RDONLY),
        ["rrw"] = (true, MOUNT_ATTR_RDONLY),
        ["rnosuid"] = (false, MOUNT_ATTR_NOSUID),
        ["rsuid"] = (true, MOUNT_ATTR_NOSUID),
        ["rnodev"] = (false, MOUNT_ATTR_NODEV),
        ["rdev"] = (true, MOUNT_ATTR_NODEV),
        ["rnoexec"] = (false, MOUNT_ATTR_NOEXEC),
        ["rexec"] = (true, MOUNT_ATTR_NOEXEC),
        ["rnodiratime"] = (false, MOUNT_ATTR_NODIRATIME),
        ["rdiratime"] = (true, MOUNT_ATTR_NODIRATIME),
        ["rrelatime"] = (false, MOUNT_ATTR_RELATIME),
        ["rnorelatime"] = (true, MOUNT_ATTR_RELATIME),
        ["rnoatime"] = (false, MOUNT_ATTR_NOATIME),
        ["ratime"] = (true, MOUNT_ATTR_NOATIME),
        ["rstrictatime"] = (false, MOUNT_ATTR_STRICTATIME),
        ["rnostrictatime"] = (true, MOUNT_ATTR_STRICTATIME),
        ["rnosymfollow"] = (false, MOUNT_ATTR_NOSYMFOLLOW),
        ["rsymfollow"] = (true, MOUNT_ATTR_NOSYMFOLLOW),
    };

    // Recognized by the spec (and runc), not implemented by Berth.
    private static readonly Dictionary<string, string> s_unsupported = new(StringComparer.Ordinal)
    {
        ["tmpcopyup"] = "tmpcopyup (copying the directory's content into the tmpfs) is not supported",
        ["idmap"] = "idmapped mounts are not supported",
        ["ridmap"] = "idmapped mounts are not supported",
    };

    /// <summary>
    /// The option names Berth implements, sorted: the features document's <c>mountOptions</c>.
    /// The refused extensions are left out, so callers that consult the features do not use them.
    /// </summary>
    public static IReadOnlyList<string> Known { get; } = BuildKnown();

    /// <summary>Parses the options of <paramref name="mount"/>; <paramref name="field"/> locates it in messages, e.g. "config.json: mounts[3]".</summary>
    public static MountOptions Parse(Mount mount, string field)
    {
        ArgumentNullException.ThrowIfNull(mount);
        return Parse(mount.Options, field + ".options");
    }

    /// <summary>
    /// Parses an options list. <paramref name="field"/> names the list in messages
    /// (e.g. "config.json: mounts[3].options"); a refused option is reported as <c>field[i]</c>.
    /// </summary>
    public static MountOptions Parse(IReadOnlyList<string>? options, string field)
    {
        if (options is null || options.Count == 0) return new MountOptions();

        ulong flags = 0, cleared = 0, attrSet = 0, attrClr = 0;
        List<ulong>? propagation = null;
        List<string>? data = null;

        for (int i = 0; i < options.Count; i++)
        {
            string o = options[i];
            if (s_flags.TryGetValue(o, out var f))
            {
                // "defaults" is mount(8)'s "nothing special": no flag, and not data for the filesystem.
                if (f.Clear)
                {
                    flags &= ~f.Flag;
                    cleared |= f.Flag;
                }
                else
                {
                    flags |= f.Flag;
                    cleared &= ~f.Flag;
                }
            }
            else if (s_propagation.TryGetValue(o, out ulong p))
            {
                (propagation ??= []).Add(p);
            }
            else if (s_recursiveAttrs.TryGetValue(o, out var a))
            {
                if (a.Clear)
                {
                    attrClr |= a.Attr;
                    attrSet &= ~a.Attr;
                }
                else
                {
                    attrSet |= a.Attr;
                    attrClr &= ~a.Attr;
                    // mount_setattr(2): an access-time mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr.
                    // RELATIME is 0, so "rrelatime" only has this clear to express it.
                    if ((a.Attr & MOUNT_ATTR__ATIME) == a.Attr) attrClr |= MOUNT_ATTR__ATIME;
                }
            }
            else if (s_unsupported.TryGetValue(o, out string? why))
            {
                throw new SpecException($"{field}[{i}]: {why}");
            }
            else
            {
                (data ??= []).Add(o);
            }
        }

        return new MountOptions
        {
            MountFlags = flags,
            ClearedFlags = cleared,
            Propagation = propagation ?? [],
            AttrSet = attrSet,
            AttrClr = attrClr,
            Data = data is null ? "" : string.Join(',', data),
        };
    }

    private static List<string> BuildKnown()
    {
        var names = new List<string>();
        names.AddRange(s_flags.Keys);
        names.AddRange(s_propagation.Keys);
        names.AddRange(s_recursiveAttrs.Keys);
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
