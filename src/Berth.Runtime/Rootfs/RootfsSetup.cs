using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Init;
using Berth.Runtime.Mounts;
using static Berth.Linux.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>
/// Builds the container's root filesystem inside its new mount namespace, in runc's order:
/// propagation of "/", the rootfs bind, config mounts in order, /dev, then (after the hooks)
/// pivot_root, read-only root, masked and read-only paths.
/// </summary>
public sealed class RootfsSetup(InitConfig config, Spec spec)
{
    private readonly Spec _spec = spec;
    private readonly string _rootfs = config.Rootfs;
    private bool InUserNamespace => (config.NewNamespaces & CLONE_NEWUSER) != 0 || _spec.Linux?.Namespaces?.Any(n => n.Type == "user") == true;

    /// <summary>Everything before the hooks and pivot_root.</summary>
    public void Prepare()
    {
        ulong rootProp = PropagationFlag(_spec.Linux?.RootfsPropagation) ?? (MS_SLAVE | MS_REC);
        Mount(null, "/", null, rootProp, null);
        Mount(_rootfs, _rootfs, null, MS_BIND | MS_REC, null);

        bool devIsBound = false;
        foreach (var m in _spec.Mounts ?? [])
        {
            MountOne(m);
            if (m.Destination.TrimEnd('/') == "/dev" && IsBind(m)) devIsBound = true;
        }
        if (!devIsBound)
        {
            CreateDefaultDevices();
            CreateDevSymlinks();
        }
        foreach (var d in _spec.Linux?.Devices ?? []) CreateDevice(d);
    }

    /// <summary>pivot_root into the rootfs (chroot with --no-pivot) and the steps that follow it.</summary>
    public void Finish()
    {
        if (chdir(_rootfs) < 0) Errno.Throw($"chdir {_rootfs}");
        if (config.NoPivot)
        {
            Mount(_rootfs, "/", null, MS_MOVE, null);
            if (chroot(".") < 0) Errno.Throw("chroot");
        }
        else
        {
            // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the new root alone.
            PivotRoot(".", ".");
            if (umount2(".", MNT_DETACH) < 0) Errno.Throw("umount old root");
        }
        if (chdir("/") < 0) Errno.Throw("chdir /");

        if (PropagationFlag(_spec.Linux?.RootfsPropagation) is { } p && (p & (MS_SHARED)) != 0)
            Mount(null, "/", null, p, null);

        // sysctls first: /proc/sys is among the read-only paths (docker's default), as runc orders it.
        WriteSysctls(_spec);
        foreach (string path in _spec.Linux?.ReadonlyPaths ?? []) ReadonlyPath(path);
        foreach (string path in _spec.Linux?.MaskedPaths ?? []) MaskPath(path);
        if (_spec.Root?.Readonly == true) RemountReadonly("/");
    }

    public static void WriteSysctls(Spec spec)
    {
        foreach (var (key, value) in spec.Linux?.Sysctl ?? [])
            File.WriteAllText("/proc/sys/" + key.Replace('.', '/'), value);
    }

    private static bool IsBind(Oci.Mount m)
        => m.Type == "bind" || (m.Options?.Any(o => o is "bind" or "rbind") ?? false);

    private void MountOne(Oci.Mount m)
    {
        var opts = MountOptions.Parse(m.Options, $"mounts[{m.Destination}].options");
        string dest = SecurePath.Join(_rootfs, m.Destination);
        bool bind = IsBind(m);
        if (m.Type == "cgroup")
        {
            MountCgroups(m, dest, opts);
            return;
        }
        if (bind)
        {
            string source = m.Source ?? throw new RuntimeException($"mount {m.Destination}: a bind mount needs a source");
            if (!Path.IsPathRooted(source)) source = Path.Combine(config.Bundle, source);
            bool sourceIsDir = Directory.Exists(source);
            if (!sourceIsDir && !File.Exists(source)) throw new RuntimeException($"mount {m.Destination}: source {source} does not exist");
            CreateMountPoint(dest, sourceIsDir);
            Mount(source, dest, null, MS_BIND | (opts.IsRecursiveBind ? MS_REC : 0), null);
            // A bind ignores every flag but MS_REC: the wanted flags take a remount.
            ulong remount = opts.MountFlags & ~(MS_BIND | MS_REC | MS_REMOUNT);
            if (remount != 0) Remount(dest, remount);
        }
        else
        {
            CreateMountPoint(dest, isDir: true);
            string data = opts.Data;
            if (m.Type == "mqueue" || m.Type == "devpts" || m.Type == "tmpfs" || m.Type == "sysfs" || m.Type == "proc")
                data = FixupData(m.Type!, data);
            try
            {
                Mount(m.Source ?? m.Type, dest, m.Type, opts.MountFlags & ~MS_REMOUNT, data);
            }
            catch (SyscallException e) when (m.Type == "sysfs" && e.Errno == Errno.EPERM && InUserNamespace)
            {
                // A user namespace without its own network namespace may not mount sysfs: bind the host's, as runc does.
                Mount("/sys", dest, null, MS_BIND | MS_REC, null);
                Remount(dest, (opts.MountFlags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)));
            }
        }
        foreach (ulong prop in opts.Propagation) Mount(null, dest, null, prop, null);
        if (opts.AttrSet != 0 || opts.AttrClr != 0)
            MountSetattr(dest, AT_RECURSIVE, opts.AttrSet, opts.AttrClr);
    }

    private static string FixupData(string type, string data) => type switch
    {
        // The new devpts instance needs its own ptmx, accessible to all, for /dev/ptmx -> pts/ptmx.
        "devpts" when !data.Contains("newinstance") => Join(data, "newinstance"),
        _ => data,
    };

    private static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;

    /// <summary>/sys/fs/cgroup: a tmpfs with each of the container's own cgroups bound in (v1), or the cgroup2 tree.</summary>
    private void MountCgroups(Oci.Mount m, string dest, MountOptions opts)
    {
        CreateMountPoint(dest, isDir: true);
        var sources = config.CgroupMounts ?? [];
        ulong ro = opts.MountFlags & MS_RDONLY;
        ulong common = opts.MountFlags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (sources.Count == 1 && sources[0].V2 && sources[0].Name == "")
        {
            bool cgroupNs = _spec.Linux?.Namespaces?.Any(n => n.Type == "cgroup") == true;
            if (cgroupNs) Mount("cgroup2", dest, "cgroup2", opts.MountFlags & ~MS_REMOUNT, null);
            else
            {
                Mount(sources[0].HostPath, dest, null, MS_BIND | MS_REC, null);
                Remount(dest, ro | common);
            }
            return;
        }
        Mount("tmpfs", dest, "tmpfs", common, "mode=755");
        foreach (var src in sources)
        {
            string sub = Path.Combine(dest, src.Name);
            Directory.CreateDirectory(sub);
            Mount(src.HostPath, sub, null, MS_BIND | MS_REC, null);
            Remount(sub, ro | common);
            // "cpu,cpuacct" is reachable as "cpu" and "cpuacct" too, as on the host.
            if (src.Name.Contains(','))
                foreach (string alias in src.Name.Split(','))
                    if (!Path.Exists(Path.Combine(dest, alias))) symlink(src.Name, Path.Combine(dest, alias));
        }
        if (ro != 0) Remount(dest, ro | common);
    }

    private static void CreateMountPoint(string dest, bool isDir)
    {
        if (isDir)
        {
            // Usually there already: one statx. A file there: let mount(2) refuse a directory over it.
            if (Libc.FileTypeAt(dest, followSymlink: true) != 0) return;
            Directory.CreateDirectory(dest);
            return;
        }
        if (Path.Exists(dest)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        using (File.Create(dest)) { }
    }

    private static readonly (string Name, long Major, long Minor)[] s_defaultDevices =
    [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ];

    private void CreateDefaultDevices()
    {
        string dev = SecurePath.Join(_rootfs, "/dev");
        Directory.CreateDirectory(dev);
        foreach (var (name, major, minor) in s_defaultDevices)
            MakeDevice(Path.Combine(dev, name), 'c', major, minor, 0b110_110_110 /* 0666 */, 0, 0, "/dev/" + name);
    }

    private void CreateDevSymlinks()
    {
        string dev = SecurePath.Join(_rootfs, "/dev");
        (string Link, string Target)[] links =
        [
            ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore"),
        ];
        foreach (var (link, target) in links)
        {
            string p = Path.Combine(dev, link);
            if (!Path.Exists(p) && new FileInfo(p).LinkTarget is null) symlink(target, p);
        }
        // With a devpts of its own the container's ptmx must be the one in /dev/pts.
        string ptmx = Path.Combine(dev, "ptmx");
        if (Directory.Exists(Path.Combine(dev, "pts")))
        {
            if (File.Exists(ptmx) || new FileInfo(ptmx).LinkTarget is not null) File.Delete(ptmx);
            symlink("pts/ptmx", ptmx);
        }
    }

    private void CreateDevice(LinuxDevice d)
    {
        string path = SecurePath.Join(_rootfs, d.Path);
        if (!path.StartsWith(SecurePath.Join(_rootfs, "/dev") + "/", StringComparison.Ordinal) && !d.Path.StartsWith("/dev/", StringComparison.Ordinal))
            throw new RuntimeException($"linux.devices: {d.Path}: devices must be under /dev");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        char type = d.Type.Length == 1 ? d.Type[0] : '?';
        MakeDevice(path, type, d.Major, d.Minor, d.FileMode ?? 0b110_110_110 /* 0666 */, d.Uid ?? 0, d.Gid ?? 0, d.Path);
    }

    /// <summary>mknod, or in a user namespace (where mknod is refused) a bind mount of the host's node.</summary>
    private void MakeDevice(string path, char type, long major, long minor, uint mode, uint uid, uint gid, string hostPath)
    {
        uint kind = type switch
        {
            'c' or 'u' => S_IFCHR,
            'b' => S_IFBLK,
            'p' => S_IFIFO,
            _ => throw new RuntimeException($"linux.devices: {hostPath}: unknown device type \"{type}\""),
        };
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null) File.Delete(path);
        if (InUserNamespace && kind != S_IFIFO)
        {
            using (File.Create(path)) { }
            Mount(hostPath, path, null, MS_BIND, null);
            return;
        }
        uint old = umask(0);
        try
        {
            if (mknod(path, kind | (mode & 0xFFF), makedev(major, minor)) < 0) Errno.Throw($"mknod {hostPath}");
        }
        finally { umask(old); }
        if (chown(path, uid, gid) < 0) Errno.Throw($"chown {hostPath}");
    }

    private static void ReadonlyPath(string path)
    {
        if (!Path.Exists(path)) return;
        try
        {
            Mount(path, path, null, MS_BIND | MS_REC, null);
            Remount(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        }
        catch (SyscallException e) when (e.Errno == Errno.ENOENT) { }
    }

    private static void MaskPath(string path)
    {
        try
        {
            if (Directory.Exists(path)) Mount("tmpfs", path, "tmpfs", MS_RDONLY, null);
            else if (File.Exists(path)) Mount("/dev/null", path, null, MS_BIND, null);
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR) { }
    }

    private static void RemountReadonly(string path) => Remount(path, MS_RDONLY);

    /// <summary>
    /// A bind remount with the given flags. In a user namespace the kernel refuses to clear flags
    /// that were locked on the source (nosuid, nodev, noexec, atime): keep those the mount already has.
    /// </summary>
    private static void Remount(string path, ulong flags)
    {
        try
        {
            Mount(null, path, null, MS_BIND | MS_REMOUNT | flags, null);
        }
        catch (SyscallException e) when (e.Errno == Errno.EPERM)
        {
            Mount(null, path, null, MS_BIND | MS_REMOUNT | flags | MountFlagsOf(path), null);
        }
    }

    private static ulong MountFlagsOf(string path)
    {
        var s = new StatVfs();
        if (statvfs(path, ref s) < 0) Errno.Throw($"statvfs {path}");
        const ulong ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_NOATIME = 1024, ST_NODIRATIME = 2048, ST_RELATIME = 4096;
        ulong f = s.f_flag, r = 0;
        if ((f & ST_RDONLY) != 0) r |= MS_RDONLY;
        if ((f & ST_NOSUID) != 0) r |= MS_NOSUID;
        if ((f & ST_NODEV) != 0) r |= MS_NODEV;
        if ((f & ST_NOEXEC) != 0) r |= MS_NOEXEC;
        if ((f & ST_NOATIME) != 0) r |= MS_NOATIME;
        if ((f & ST_NODIRATIME) != 0) r |= MS_NODIRATIME;
        if ((f & ST_RELATIME) != 0) r |= MS_RELATIME;
        return r;
    }

    public static ulong? PropagationFlag(string? name) => name switch
    {
        null or "" => null,
        "shared" => MS_SHARED,
        "rshared" => MS_SHARED | MS_REC,
        "slave" => MS_SLAVE,
        "rslave" => MS_SLAVE | MS_REC,
        "private" => MS_PRIVATE,
        "rprivate" => MS_PRIVATE | MS_REC,
        "unbindable" => MS_UNBINDABLE,
        "runbindable" => MS_UNBINDABLE | MS_REC,
        _ => throw new SpecException($"linux.rootfsPropagation: unknown propagation \"{name}\""),
    };
}
