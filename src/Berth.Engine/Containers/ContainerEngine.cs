using System.Text;
using Berth.Engine.Model;
using Berth.Engine.Monitor;
using Berth.Engine.Volumes;
using Berth.Images;
using Berth.Images.Snapshots;
using Berth.Images.Store;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime;

namespace Berth.Engine.Containers;

/// <summary>An error with docker's exit status: 125 for the engine's own, 126 cannot invoke, 127 not found.</summary>
public sealed class ContainerException(string message, int exitCode = 125) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The container engine, in-process and daemonless: create, start (through a monitor per
/// container), stop, kill, remove, list. Concurrent commands are safe through per-container
/// locks and the name links; the state on disk is right after a kill -9 of any of them.
/// </summary>
public sealed partial class ContainerEngine
{
    public ImageStorage Storage { get; }
    public ImageService Images { get; }
    public ContainerStore Store { get; }
    public VolumeStore Volumes { get; }
    public Events.EventLog Events { get; }

    public ContainerEngine(ImageStorage storage)
    {
        Events = new Events.EventLog(storage.Root);
        Storage = storage;
        Images = new ImageService(storage);
        Store = new ContainerStore(storage.Root, storage.RunRoot);
        Volumes = new VolumeStore(storage.Root);
    }

    public ContainerRuntime Runtime() => new(Store.RuntimeRoot);

    private static string HoldName(string id) => "container-" + id;
    public string RootfsOf(string id) => Path.Combine(Store.RunDirOf(id), "rootfs");
    private string BundleOf(string id) => Store.RunDirOf(id);
    private string MonitorPidFile(string id) => Path.Combine(Store.RunDirOf(id), "monitor.pid");
    public string AttachSocket(string id) => Path.Combine(Store.RunDirOf(id), "attach.sock");

    // ---------------------------------------------------------------- create

    public static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public Container Create(ContainerRequest request, string? newId = null)
    {
        var image = Images.Get(request.Image);
        StartupTrace.Mark("create: image found");
        var imageConfig = Images.ConfigOf(image);
        StartupTrace.Mark("create: image config read");
        var config = request.Config;
        var host = request.HostConfig;
        config.Image = request.Image;
        ImageDefaults.Apply(config, imageConfig.Config);
        var command = new List<string>(config.Entrypoint ?? []);
        command.AddRange(config.Cmd ?? []);
        if (command.Count == 0) throw new ContainerException("no command specified");
        if (host.NetworkMode is "" or "default") host.NetworkMode = "none";
        if (host.NetworkMode is not ("none" or "host") && !host.NetworkMode.StartsWith("container:", StringComparison.Ordinal))
            throw new ContainerException($"network {host.NetworkMode} not found: Berth has no bridge networks yet (use --network none or host)");

        string id = newId ?? NewId();
        string name = request.Name ?? "";
        if (name.Length > 0)
        {
            name = name.TrimStart('/');
            if (!ContainerStore.IsValidName(name)) throw new ContainerException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
            if (!Store.ClaimName(name, id))
                throw new ContainerException($"Conflict. The container name \"/{name}\" is already in use by container \"{Store.IdOfName(name)}\". You have to remove (or rename) that container to be able to reuse that name.");
        }
        else
        {
            do name = ContainerNames.Random(); while (!Store.ClaimName(name, id));
        }

        string dir = Store.DirOf(id);
        // Two creates must not pick the same id range: the lock spans choosing it and saving the container.
        using var usernsLock = host.UsernsMode == "auto" ? FileLock.Acquire(Path.Combine(Store.Root, ".userns.lock")) : null;
        try
        {
            Directory.CreateDirectory(dir);
            Directory.CreateDirectory(Path.Combine(dir, "diff"));
            Directory.CreateDirectory(Path.Combine(dir, "work"));
            if (config.Hostname.Length == 0) config.Hostname = host.NetworkMode == "host" ? Environment.MachineName : id[..12];
            var c = new Container
            {
                Id = id, Created = DateTime.UtcNow, Name = "/" + name, Path = command[0], Args = command.Skip(1).ToList(),
                Image = image.Id, Config = config, HostConfig = host,
                LogPath = host.LogConfig.Type == "none" ? "" : Path.Combine(dir, id + "-json.log"),
                HostnamePath = Path.Combine(dir, "hostname"), HostsPath = Path.Combine(dir, "hosts"),
                ResolvConfPath = Path.Combine(dir, "resolv.conf"),
                Driver = Storage.Driver == "vfs" ? "vfs" : "overlay2",
            };
            c.GraphDriver = new GraphDriverData
            {
                Name = c.Driver,
                Data = new()
                {
                    ["LowerDir"] = string.Join(':', Images.LowerDirs(image)), ["UpperDir"] = Path.Combine(dir, "diff"),
                    ["WorkDir"] = Path.Combine(dir, "work"), ["MergedDir"] = RootfsOf(id),
                },
            };
            c.NetworkSettings.Networks[host.NetworkMode] = new EndpointSettings();
            if (usernsLock is not null) c.UsernsRange = UserNamespaces.Allocate(Store);
            StartupTrace.Mark("create: folders made");
            c.Mounts = MountPlanner.Plan(c, Volumes);
            WriteEtcFiles(c);
            if (c.UsernsRange is { } range)
            {
                // The container's root owns its writable layer and its own files: its root is this host id.
                foreach (var path in new[] { Path.Combine(dir, "diff"), c.HostnamePath, c.HostsPath, c.ResolvConfPath })
                    Libc.chown(path, range.HostId, range.HostId);
            }
            StartupTrace.Mark("create: etc files written");
            Storage.Holds.Add(HoldName(id), image.Id);
            using (FileLock.Acquire(Path.Combine(dir, "lock"))) Store.Save(c);
            Events.Container(c, "create");
            return c;
        }
        catch
        {
            Store.ReleaseName(name, id);
            SnapshotStore.RemoveTree(dir);
            Storage.Holds.Remove(HoldName(id));
            throw;
        }
    }

    private static void WriteEtcFiles(Container c)
    {
        var host = c.HostConfig;
        File.WriteAllText(c.HostnamePath, c.Config.Hostname + "\n");
        var hosts = new StringBuilder();
        if (host.NetworkMode == "host" && File.Exists("/etc/hosts")) hosts.Append(File.ReadAllText("/etc/hosts"));
        else
        {
            hosts.Append("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n");
            hosts.Append("ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        }
        foreach (var extra in host.ExtraHosts ?? [])
        {
            int colon = extra.IndexOf(':');
            if (colon > 0) hosts.Append(extra[(colon + 1)..]).Append('\t').Append(extra[..colon]).Append('\n');
        }
        File.WriteAllText(c.HostsPath, hosts.ToString());
        File.WriteAllText(c.ResolvConfPath, ResolvConf(host));
    }

    /// <summary>docker's resolv.conf: the host's, without loopback nameservers (unreachable from a new network namespace), or the --dns flags.</summary>
    private static string ResolvConf(HostConfig host)
    {
        var lines = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf").ToList() : [];
        if (host.NetworkMode != "host")
            lines.RemoveAll(l => l.StartsWith("nameserver", StringComparison.Ordinal) && (l.Contains(" 127.") || l.Contains(" ::1")));
        if (host.Dns is { Count: > 0 } dns)
        {
            lines.RemoveAll(l => l.StartsWith("nameserver", StringComparison.Ordinal));
            lines.AddRange(dns.Select(d => "nameserver " + d));
        }
        if (host.DnsSearch is { Count: > 0 } search)
        {
            lines.RemoveAll(l => l.StartsWith("search", StringComparison.Ordinal) || l.StartsWith("domain", StringComparison.Ordinal));
            lines.Add("search " + string.Join(' ', search));
        }
        if (host.DnsOptions is { Count: > 0 } options)
        {
            lines.RemoveAll(l => l.StartsWith("options", StringComparison.Ordinal));
            lines.Add("options " + string.Join(' ', options));
        }
        return string.Join('\n', lines) + "\n";
    }

    // ---------------------------------------------------------------- start

    /// <summary>
    /// Starts a created or stopped container: mounts its root, writes the OCI bundle and spawns its
    /// monitor, which creates and starts it through the runtime. Returns once the monitor reported,
    /// with the session still open (for `run` and `start -a` to follow the container).
    /// </summary>
    public MonitorSession Start(string id, Action<MonitorSession>? attach = null)
    {
        var (client, monitorEnd) = MonitorSession.CreatePair();
        bool spawned = false;
        try
        {
            using (Store.Lock(id))
            {
                var c = Refresh(Store.Load(id));
                if (MonitorAlive(id) is not null)
                {
                    if (c.State.Paused) throw new ContainerException($"cannot start a paused container, try unpause instead");
                    Libc.close(monitorEnd);
                    monitorEnd = -1;
                    client.Dispose();
                    return Attach(id, attach);
                }
                if (c.State.Dead) throw new ContainerException($"cannot start a dead container {id}");
                Directory.CreateDirectory(Store.RunDirOf(id));
                int pid = SpawnMonitor(id, monitorEnd);
                spawned = true;
                Libc.close(monitorEnd);
                monitorEnd = -1;
                Launch(c, pid, client, attach);
            }
            return WaitStarted(client);
        }
        catch
        {
            if (monitorEnd >= 0) Libc.close(monitorEnd);
            client.Dispose();
            if (spawned && MonitorAlive(id) is null) SnapshotStore.RemoveTree(Store.RunDirOf(id));
            throw;
        }
    }

    /// <summary>
    /// docker run: create and start, with the monitor spawned first, so that it boots while the
    /// container is created and its root prepared (it waits for the attach message to begin).
    /// </summary>
    public MonitorSession Run(ContainerRequest request, Action<MonitorSession>? attach, Action<Container>? created = null)
    {
        string id = NewId();
        var (client, monitorEnd) = MonitorSession.CreatePair();
        Container? c = null;
        bool launched = false;
        try
        {
            Directory.CreateDirectory(Store.RunDirOf(id));
            int pid = SpawnMonitor(id, monitorEnd);
            Libc.close(monitorEnd);
            monitorEnd = -1;
            c = Create(request, id);
            created?.Invoke(c);
            using (Store.Lock(id)) Launch(c, pid, client, attach);
            launched = true;   // from here the monitor starts it, or reports and cleans up (--rm too)
            return WaitStarted(client);
        }
        catch
        {
            if (monitorEnd >= 0) Libc.close(monitorEnd);
            client.Dispose();
            if (c is null) SnapshotStore.RemoveTree(Store.RunDirOf(id));
            // --rm: a container whose start was given up before its monitor took over is not kept.
            else if (!launched && request.HostConfig.AutoRemove)
            {
                try { RemoveStopped(id, removeVolumes: true); } catch (Exception) { /* keep the first error */ }
            }
            throw;
        }
    }

    /// <summary>Under the container's lock: records the start, mounts the root, writes the bundle, and lets the monitor begin.</summary>
    private void Launch(Container c, int monitorPid, MonitorSession client, Action<MonitorSession>? attach)
    {
        c.HasBeenManuallyStopped = false;
        c.State.Error = "";
        Store.Save(c);
        File.WriteAllText(MonitorPidFile(c.Id), monitorPid.ToString());
        StartupTrace.Mark("start: monitor spawned");
        PrepareRuntime(c);
        StartupTrace.Mark("start: bundle written");
        // The monitor reads one attach message before it starts anything: an empty one without output.
        if (attach is null) client.Attach(-1, -1, stdin: false); else attach(client);
    }

    private static MonitorSession WaitStarted(MonitorSession client)
    {
        var first = client.Next();
        switch (first.Kind)
        {
            case MonitorSession.Kind.Started: return client;
            case MonitorSession.Kind.Failed: throw new ContainerException(first.Message, first.Code);
            default: throw new ContainerException("the container's monitor exited before it started the container");
        }
    }

    /// <summary>A session with the running container's monitor (attach, start -a on a running container).</summary>
    public MonitorSession Attach(string id, Action<MonitorSession>? attach)
    {
        MonitorSession session;
        try { session = MonitorSession.Connect(AttachSocket(id)); }
        catch (SyscallException) { throw new ContainerException($"container {id[..12]} is not running"); }
        attach?.Invoke(session);
        return session;
    }

    private int SpawnMonitor(string id, int sessionFd)
    {
        var env = new List<string> { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
        // The caller's tracing and .NET runtime settings (DOTNET_*) reach the monitor too.
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string name && (name == "BERTH_TRACE" || name.StartsWith("DOTNET_", StringComparison.Ordinal))) env.Add($"{name}={e.Value}");
        // Small gen0 budget: the monitor allocates little and lives long; its heap should stay tiny.
        if (!env.Any(e => e.StartsWith("DOTNET_GCgen0size=", StringComparison.Ordinal))) env.Add("DOTNET_GCgen0size=0x40000");
        using var child = Berth.Runtime.Process.Spawner.Spawn(new Berth.Runtime.Process.SpawnOptions
        {
            Path = ContainerRuntime.SelfExe,
            Args = ["berth", "monitor", Storage.Root, Storage.RunRoot, Storage.Driver, id],
            Env = env,
            FdMap = [(sessionFd, 3)],
        });
        child.WaitForExec("berth monitor");
        return child.Pid;
    }

    /// <summary>Mounts the container's root (once) and writes the OCI bundle for this start.</summary>
    private void PrepareRuntime(Container c)
    {
        string runDir = Store.RunDirOf(c.Id);
        string rootfs = RootfsOf(c.Id);
        Directory.CreateDirectory(rootfs);
        if (!Libc.IsMountPoint(rootfs)) MountRootfs(c, rootfs);
        StartupTrace.Mark("start: rootfs mounted");
        try
        {
            var mounts = MountPlanner.ToOci(c, rootfs, Volumes);
            var spec = SpecBuilder.Build(c, new SpecBuilder.Paths(rootfs, c.HostnamePath, c.HostsPath, c.ResolvConfPath, c.HostConfig.Init == true ? InitBinary() : null), mounts);
            StartupTrace.Mark("start: spec built");
            RawFile.WriteAtomic(Path.Combine(runDir, "config.json"), OciJson.Serialize(spec, OciWriteJsonContext.Default.Spec));
        }
        catch
        {
            ReleaseRuntime(c.Id);
            throw;
        }
    }

    private void MountRootfs(Container c, string rootfs)
    {
        var image = Images.TryGet(c.Image) ?? throw new ContainerException($"image {c.Image} of container {c.ShortId} is gone");
        string dir = Store.DirOf(c.Id);
        var lower = Images.LowerDirs(image);
        if (lower.Count == 0)
        {
            string empty = Path.Combine(dir, "empty");
            Directory.CreateDirectory(empty);
            lower.Add(empty);
        }
        if (Storage.Driver == "vfs")
        {
            // A plain copy made once, kept in the container's own folder: the vfs "upper" is the whole root.
            string copy = Path.Combine(dir, "diff");
            string marker = Path.Combine(dir, "vfs-copied");
            if (!File.Exists(marker))
            {
                CopyMerge.Merge(image.Chain.Select(Storage.Snapshots.FsPath).ToList(), copy);
                File.WriteAllText(marker, "");
            }
            Libc.Mount(copy, rootfs, null, Libc.MS_BIND, null);
            return;
        }
        if (c.UsernsRange is { } range)
        {
            // Idmapped views of the layers, stacked under the overlay, then detached from the tree:
            // the overlay keeps them alive and nothing else sees them.
            int userns = UserNamespaces.Open(range);
            var views = new List<string>();
            try
            {
                for (int i = 0; i < lower.Count; i++)
                {
                    string view = Path.Combine(Store.RunDirOf(c.Id), "layers", i.ToString());
                    Directory.CreateDirectory(view);
                    UserNamespaces.MountIdmapped(lower[i], view, userns);
                    views.Add(view);
                }
                OverlayMount.Mount(views, Path.Combine(dir, "diff"), Path.Combine(dir, "work"), rootfs);
            }
            finally
            {
                Libc.close(userns);
                foreach (var view in views) Libc.umount2(view, Libc.MNT_DETACH);
                SnapshotStore.RemoveTree(Path.Combine(Store.RunDirOf(c.Id), "layers"));
            }
            return;
        }
        OverlayMount.Mount(lower, Path.Combine(dir, "diff"), Path.Combine(dir, "work"), rootfs);
    }

    /// <summary>docker's --init: tini from Debian's tini package, statically linked so any image can run it.</summary>
    private static string? InitBinary() =>
        new[] { "/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/libexec/docker/docker-init" }.FirstOrDefault(File.Exists);

    /// <summary>Undoes <see cref="PrepareRuntime"/> and the runtime's state: the rootfs mount, the bundle, the runtime container.</summary>
    public void ReleaseRuntime(string id)
    {
        var runtime = Runtime();
        try
        {
            if (Directory.Exists(runtime.Store.DirOf(id))) runtime.Delete(id, force: true);
        }
        catch (RuntimeException) { }
        string rootfs = RootfsOf(id);
        if (Libc.IsMountPoint(rootfs)) OverlayMount.Unmount(rootfs);
        SnapshotStore.RemoveTree(Store.RunDirOf(id));
    }

    /// <summary>The pid of the container's monitor if it is alive.</summary>
    public int? MonitorAlive(string id)
    {
        if (RawFile.TryReadText(MonitorPidFile(id), out string text) != 0 || !int.TryParse(text.Trim(), out int pid)) return null;
        // The pid file lives under the run root, so a pid of a former boot cannot be read; still check it is a monitor.
        if (RawFile.TryReadText($"/proc/{pid}/comm", out string comm) != 0) return null;
        if (comm.Trim() == MonitorName) return pid;
        // While a monitor hands over (re-executes itself) its name is the executable's until it sets its own again.
        return RawFile.TryReadText($"/proc/{pid}/cmdline", out string cmdline) == 0
            && cmdline.Split('\0') is [_, "monitor", _, _, _, var monitored, ..] && monitored == id ? pid : null;
    }

    public const string MonitorName = "berth-monitor";

    /// <summary>
    /// Makes a container's recorded state true again after a crash: a container recorded as running
    /// whose monitor and process are both gone is recorded as exited (255), and its mount released.
    /// </summary>
    public Container Refresh(Container c)
    {
        if (!(c.State.Running || c.State.Restarting || c.State.Paused)) return c;
        if (MonitorAlive(c.Id) is not null) return c;
        if (c.State.Pid > 0 && ProcessAlive(c.State.Pid)) return c;
        c.State.Running = c.State.Paused = c.State.Restarting = false;
        c.State.Status = "exited";
        c.State.ExitCode = 255;
        c.State.Pid = 0;
        c.State.Error = "the container's monitor was killed";
        c.State.FinishedAt = DateTime.UtcNow;
        Store.Save(c);
        ReleaseRuntime(c.Id);
        return c;
    }

    private static bool ProcessAlive(int pid) => Libc.kill(pid, 0) == 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EPERM;

    /// <summary>Loads a container by id, name or id prefix, with its state made true.</summary>
    public Container Get(string reference)
    {
        string id = Store.Resolve(reference);
        var c = Store.Load(id);
        if (!(c.State.Running || c.State.Restarting || c.State.Paused) || MonitorAlive(id) is not null) return c;
        using (Store.Lock(id)) return Refresh(Store.Load(id));
    }

    public List<Container> List() =>
        Store.Ids().Select(id =>
        {
            try { return Get(id); }
            catch (NoSuchContainerException) { return null; }
        }).OfType<Container>().OrderByDescending(c => c.Created).ToList();
}
