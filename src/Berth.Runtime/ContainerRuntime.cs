using System.Text.Json;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Init;
using Berth.Runtime.Mounts;
using Berth.Runtime.Process;
using Berth.Runtime.Seccomp;
using static Berth.Linux.Libc;

namespace Berth.Runtime;

/// <summary>Options of `create` (and `run`) beyond the bundle, as runc's flags.</summary>
public sealed class CreateOptions
{
    public required string Id { get; init; }
    public required string Bundle { get; init; }
    public string? ConsoleSocket { get; init; }
    public string? PidFile { get; init; }
    public bool NoPivot { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>An already connected console socket fd (used by `run` to proxy a terminal itself).</summary>
    public int ConsoleSocketFd { get; init; } = -1;
    /// <summary>Use <see cref="ConsoleSocketFd"/> only when process.terminal is true (run's own pty proxy).</summary>
    public bool ConsoleOnlyIfTerminal { get; init; }
    /// <summary>
    /// Called with the init's pid once it is spawned and has its config, while it boots and mounts:
    /// the caller's own setup (run's signal forwarding) is then off the start's critical path.
    /// </summary>
    public Action<int>? WhileInitBoots { get; set; }
}

/// <summary>
/// The OCI lifecycle over a state directory: create, start, state, kill, delete, pause, resume,
/// and the container's cgroup. The runtime contract (runtime-spec runtime.md) in short:
/// create builds everything and leaves the init waiting; start runs the user's program;
/// kill signals it; delete removes what create made once the container is stopped.
/// </summary>
public sealed partial class ContainerRuntime(string root)
{
    public StateStore Store { get; } = new(root);

    // What this process created (`run` creates, starts and deletes in one process): no need to read
    // it back from the state folder. Status is always derived live, so nothing here goes stale.
    private readonly Dictionary<string, (ContainerRecord Record, Spec Spec)> _made = new(StringComparer.Ordinal);

    /// <summary>Drops what this process remembers of a container it made (a long-lived caller's memory).</summary>
    public void Forget(string id) => _made.Remove(id);

    private ContainerRecord LoadRecord(string id) => _made.TryGetValue(id, out var m) ? m.Record : Store.Load(id);

    private Spec LoadSpec(string id) => _made.TryGetValue(id, out var m) ? m.Spec : Store.LoadSpec(id);

    private static readonly (string Type, ulong Flag)[] s_namespaceFlags =
    [
        ("user", CLONE_NEWUSER), ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS), ("network", CLONE_NEWNET),
        ("pid", CLONE_NEWPID), ("mount", CLONE_NEWNS), ("cgroup", CLONE_NEWCGROUP), ("time", CLONE_NEWTIME),
    ];

    public static string SelfExe => Environment.ProcessPath ?? "/proc/self/exe";

    /// <summary>
    /// What a container's init stage executes: the small berth-runtime binary when it sits beside
    /// this one (it starts faster than the whole engine), else this binary itself.
    /// </summary>
    public static string InitExe { get; } = ChooseInitExe();

    /// <summary>
    /// The smallest binary beside this one that runs the init stage (NativeAOT start-up grows with
    /// the binary, and the init's is on every start's critical path): berth-init, else
    /// berth-runtime, else this one.
    /// </summary>
    private static string ChooseInitExe()
    {
        string self = SelfExe;
        foreach (string name in (ReadOnlySpan<string>)["berth-init", "berth-runtime"])
        {
            string sibling = Path.Combine(Path.GetDirectoryName(self) ?? "/", name);
            // A symlink pointing back at this binary is no gain; a real file is.
            if (sibling != self && File.Exists(sibling) && new FileInfo(sibling).LinkTarget is null) return sibling;
        }
        return self;
    }

    public ContainerRecord Create(CreateOptions o)
    {
        string bundle = Path.GetFullPath(o.Bundle);
        string configPath = Path.Combine(bundle, "config.json");
        int readErrno = RawFile.TryReadBytes(configPath, out byte[] configBuffer, out int configLength);
        if (readErrno is Errno.ENOENT or Errno.ENOTDIR) throw new RuntimeException($"{configPath}: no such file");
        if (readErrno != 0) throw new SyscallException(readErrno, $"read {configPath}");
        var configBytes = configBuffer.AsSpan(0, configLength);
        StartupTrace.Mark("create: read config");
        Spec spec = OciJson.ParseSpec(configBytes);
        StartupTrace.Mark("create: parsed");
        SpecValidator.Validate(spec, bundle);
        if (spec.Process is null) throw new SpecException("config.json: process: required to create a container");
        string rootfs = Path.GetFullPath(Path.Combine(bundle, spec.Root!.Path));
        if (!Directory.Exists(rootfs)) throw new RuntimeException($"root.path: {rootfs} is not a directory");
        // Mount options are checked here, before anything starts, not only when init mounts.
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++) MountOptions.Parse(spec.Mounts![i], $"config.json: mounts[{i}]");

        StartupTrace.Mark("create: parsed and validated");
        StateStore.CheckId(o.Id);
        Store.CreateDir(o.Id);
        var record = new ContainerRecord
        {
            Id = o.Id, Bundle = bundle, Rootfs = rootfs, Created = DateTime.UtcNow, Status = Status.Creating,
            Annotations = spec.Annotations, Terminal = spec.Process.Terminal,
        };
        ICgroupManager? cgroup = null;
        SpawnedChild? child = null;
        var toClose = new List<int>();
        try
        {
            string fifo = Store.FifoOf(o.Id);
            if (mkfifo(fifo, 0b110_010_010 /* 0622 */) < 0) Errno.Throw($"mkfifo {fifo}");
            // 0622 past the umask: the init may run as a user namespace's root, an "other" here.
            File.SetUnixFileMode(fifo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
            int fifoFd = Errno.Check(open(fifo, O_PATH | O_CLOEXEC), $"open {fifo}");
            toClose.Add(fifoFd);

            var (parentEnd, childEnd) = SocketPair();
            toClose.Add(parentEnd);
            toClose.Add(childEnd);
            int consoleFd = o.ConsoleOnlyIfTerminal && !spec.Process.Terminal ? -1 : o.ConsoleSocketFd;
            if (spec.Process.Terminal && consoleFd < 0)
            {
                if (o.ConsoleSocket is null) throw new RuntimeException("process.terminal is true: --console-socket is required");
                consoleFd = ConnectUnix(o.ConsoleSocket);
                toClose.Add(consoleFd);
            }
            else if (!spec.Process.Terminal && o.ConsoleSocket is not null)
                throw new RuntimeException("--console-socket given but process.terminal is false");

            ulong newNs = 0;
            var joinFds = new List<int>();
            foreach (var (type, flag) in s_namespaceFlags)
            {
                var ns = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == type);
                if (ns is null) continue;
                if (string.IsNullOrEmpty(ns.Path)) { newNs |= flag; continue; }
                int nsFd = open(ns.Path, O_RDONLY | O_CLOEXEC);
                if (nsFd < 0) Errno.Throw($"linux.namespaces: open {ns.Path}");
                toClose.Add(nsFd);
                joinFds.Add(nsFd);
            }
            record.NewNamespaces = newNs;
            bool newUserNs = (newNs & CLONE_NEWUSER) != 0;

            // The init stage starts now and boots its runtime while this process prepares the
            // cgroup; it does nothing to the container before the config arrives, which is sent
            // once it is in its cgroup. Only a new user namespace makes it wait before its execve,
            // for the uid/gid maps without which it would exec without capabilities.
            var fdMap = new List<(int, int)> { (childEnd, childEnd), (fifoFd, fifoFd) };
            if (consoleFd >= 0) fdMap.Add((consoleFd, consoleFd));
            var env = new List<string> { $"{InitStage.SyncFdVariable}={childEnd}" };
            if (Environment.GetEnvironmentVariable("BERTH_TRACE") is { } trace) env.Add("BERTH_TRACE=" + trace);
            child = Spawner.Spawn(new SpawnOptions
            {
                Path = InitExe,
                Args = ["berth", "init"],
                Env = env,
                CloneFlags = newNs & ~(CLONE_NEWCGROUP | CLONE_NEWTIME),
                JoinFds = joinFds,
                NewTimeNamespace = (newNs & CLONE_NEWTIME) != 0,
                TimeOffsets = TimeOffsets(spec.Linux?.TimeOffsets),
                GoFd = newUserNs ? childEnd : -1,
                BecomeRoot = newUserNs,
                FdMap = fdMap,
            });
            StartupTrace.Mark("create: spawned");
            // Later commands (start, exec, delete) read the config from here; written while the init boots.
            StateStore.WriteAtomic(Path.Combine(Store.DirOf(o.Id), "config.json"), configBytes);
            record.Pid = child.Pid;
            record.PidStartTime = ProcStat.Read(child.Pid)?.StartTime ?? 0;

            cgroup = ContainerCgroups.ForNew(o.Id, spec.Linux?.CgroupsPath);
            record.CgroupsPath = cgroup.Path;
            StartupTrace.Mark("create: cgroup layout");
            Store.Save(record);
            StartupTrace.Mark("create: state saved");
            cgroup.Create();
            StartupTrace.Mark("create: cgroup created");
            cgroup.Apply(DefaultDevices.WithDeviceRules(spec.Linux?.Resources, spec.Linux?.Devices));
            StartupTrace.Mark("create: cgroup applied");
            ProcessScheduling.ApplyInitial(child.Pid, spec.Process); // execCPUAffinity.initial: before the cgroup
            cgroup.AddProcess(child.Pid);
            ProcessScheduling.ApplyFinal(child.Pid, spec.Process);
            StartupTrace.Mark("create: cgroup joined");

            if (newUserNs)
            {
                WriteIdMaps(child.Pid, spec.Linux!);
                WriteAll(parentEnd, "g"u8, "release init");
            }
            if (spec.Process.OomScoreAdj is { } adj) File.WriteAllText($"/proc/{child.Pid}/oom_score_adj", adj.ToString());

            using var sync = new SyncChannel(parentEnd);
            toClose.Remove(parentEnd);
            var config = new InitConfig
            {
                Rootfs = rootfs, Bundle = bundle, Id = o.Id, NewNamespaces = newNs, FifoFd = fifoFd,
                ConsoleFd = consoleFd, NoPivot = o.NoPivot, CgroupMounts = ContainerCgroups.MountSources(cgroup), PreserveFds = o.PreserveFds,
            };
            sync.Send(SyncChannel.Config, config.Serialize());
            sync.Send(SyncChannel.Spec, configBytes);
            child.WaitForExec("berth init");
            close(childEnd);
            toClose.Remove(childEnd);
            StartupTrace.Mark("create: init executed, config sent");
            o.WhileInitBoots?.Invoke(child.Pid);
            while (true)
            {
                var msg = sync.Receive() ?? throw new RuntimeException("container init exited before it was created" + ExitNote(child.Pid));
                if (msg.Kind == SyncChannel.Error) throw new RuntimeException(msg.Payload);
                if (msg.Kind == SyncChannel.Hooks)
                {
                    var state = StateOf(record, spec, Status.Creating);
                    try
                    {
                        Hooks.Run(spec.Hooks?.Prestart, state, "prestart");
                        Hooks.Run(spec.Hooks?.CreateRuntime, state, "createRuntime");
                    }
                    catch (Exception e)
                    {
                        sync.Send(SyncChannel.Error, e.Message);
                        throw;
                    }
                    sync.Send(SyncChannel.Ok);
                    continue;
                }
                if (msg.Kind == SyncChannel.Seccomp)
                {
                    int listener = ReceiveFd(sync.Fd, out _);
                    try { SeccompListener.Send(spec, StateOf(record, spec, Status.Creating), listener); }
                    catch (Exception e)
                    {
                        sync.Send(SyncChannel.Error, e.Message);
                        throw;
                    }
                    finally { close(listener); }
                    sync.Send(SyncChannel.Ok);
                    continue;
                }
                if (msg.Kind == SyncChannel.Created) break;
                throw new RuntimeException($"unexpected message from init: {msg.Kind}");
            }
            StartupTrace.Mark("create: init reported created");
            record.Status = Status.Created;
            Store.Save(record);
            if (o.PidFile is not null) StateStore.WriteAtomic(Path.GetFullPath(o.PidFile), System.Text.Encoding.ASCII.GetBytes(child.Pid.ToString()));
            child.Dispose();
            _made[o.Id] = (record, spec);
            return record;
        }
        catch
        {
            if (child is not null)
            {
                kill(child.Pid, SIGKILL);
                try { WaitForExit(child.Pid); } catch (SyscallException) { }
                child.Dispose();
            }
            try { cgroup?.Destroy(); } catch (Exception) { /* keep the first error */ }
            Store.Remove(o.Id);
            throw;
        }
        finally
        {
            foreach (int fd in toClose) close(fd);
        }
    }

    private static string ExitNote(int pid)
    {
        try
        {
            int code = WaitForExit(pid);
            return $" (exit status {code})";
        }
        catch (SyscallException) { return ""; }
    }

    private static string? TimeOffsets(Dictionary<string, LinuxTimeOffset>? offsets)
        => offsets is null ? null : string.Concat(offsets.Select(kv => $"{kv.Key} {kv.Value.Secs} {kv.Value.Nanosecs}\n"));

    private static void WriteIdMaps(int pid, Oci.Linux linux)
    {
        static string Format(List<LinuxIdMapping>? m) => string.Concat((m ?? []).Select(x => $"{x.ContainerId} {x.HostId} {x.Size}\n"));
        try
        {
            File.WriteAllText($"/proc/{pid}/uid_map", Format(linux.UidMappings));
            File.WriteAllText($"/proc/{pid}/gid_map", Format(linux.GidMappings));
        }
        catch (IOException e) { throw new RuntimeException($"linux.uidMappings/gidMappings: writing the maps of the user namespace failed: {e.Message}"); }
    }

    public static State StateOf(ContainerRecord r, Spec? spec, string status) => new()
    {
        Id = r.Id, Status = status, Pid = r.Pid, Bundle = r.Bundle, Annotations = spec?.Annotations ?? r.Annotations,
    };

    /// <summary>The live status: derived from the init process, the exec fifo and the freezer.</summary>
    public string StatusOf(ContainerRecord r)
    {
        if (r.Pid <= 0) return r.Status == Status.Creating ? Status.Creating : Status.Stopped;
        if (!ProcStat.IsAlive(r.Pid, r.PidStartTime)) return Status.Stopped;
        if (r.Status == Status.Creating) return Status.Creating;
        if (File.Exists(Store.FifoOf(r.Id))) return Status.Created;
        if (ContainerCgroups.Open(r.CgroupsPath).IsFrozen) return Status.Paused;
        return Status.Running;
    }

    public StateOutput Describe(ContainerRecord r)
    {
        string status = StatusOf(r);
        return new StateOutput
        {
            Id = r.Id, Pid = status == Status.Stopped ? 0 : r.Pid, Status = status, Bundle = r.Bundle, Rootfs = r.Rootfs,
            Created = r.Created, Owner = "root", Annotations = r.Annotations,
        };
    }

    /// <summary>Lets a created container run its program: opens the exec fifo the init waits on.</summary>
    public void Start(string id)
    {
        var r = LoadRecord(id);
        string status = StatusOf(r);
        if (status != Status.Created) throw new RuntimeException($"cannot start a container that is {status}");
        string fifo = Store.FifoOf(id);
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) Errno.Throw($"open {fifo}");
        try
        {
            if (!WaitForFifoByte(fd, r)) throw new RuntimeException("container init exited before it was started");
            WaitForFifoEnd(fd);
        }
        finally { close(fd); }
        File.Delete(fifo);
        // Nothing to save: "running" is what a live init without its exec fifo is (StatusOf).
        var spec = LoadSpec(id);
        try { Hooks.Run(spec.Hooks?.Poststart, StateOf(r, spec, Status.Running), "poststart"); }
        catch (RuntimeException e) { Console.Error.WriteLine($"warning: {e.Message}"); }
    }

    /// <summary>
    /// Waits for the init's byte on the exec fifo. poll(2) sleeps until the init writes (a fifo
    /// nobody has opened for writing yet reports no hang-up); every 10 ms the init's life is checked.
    /// </summary>
    private static unsafe bool WaitForFifoByte(int fd, ContainerRecord r)
    {
        byte b;
        var pfd = new PollFd { fd = fd, events = POLLIN };
        while (true)
        {
            nint n = read(fd, &b, 1);
            if (n == 1) return true;
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (n < 0 && errno != Errno.EAGAIN && errno != Errno.EINTR) Errno.Throw("read exec fifo");
            // n == 0: the init wrote and closed already, or has not opened yet. A short-lived program
            // may have run and exited in between: its byte is then still in the fifo.
            if (!ProcStat.IsAlive(r.Pid, r.PidStartTime)) return read(fd, &b, 1) == 1;
            poll(&pfd, 1, 10);
        }
    }

    /// <summary>
    /// After its byte the init keeps the fifo open, close-on-exec, while it runs the startContainer
    /// hooks: the end of the fifo means the container's program runs (or the init died), so the
    /// poststart hooks come after it, as the spec orders.
    /// </summary>
    private static unsafe void WaitForFifoEnd(int fd)
    {
        byte b;
        var pfd = new PollFd { fd = fd, events = POLLIN };
        while (true)
        {
            nint n = read(fd, &b, 1);
            if (n == 0) return;
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (n < 0 && errno != Errno.EAGAIN && errno != Errno.EINTR) Errno.Throw("read exec fifo");
            poll(&pfd, 1, -1);
        }
    }

    public void Kill(string id, int signal, bool all)
    {
        var r = Store.Load(id);
        string status = StatusOf(r);
        if (status is Status.Stopped) throw new RuntimeException("container not running");
        if (all)
        {
            ContainerCgroups.Open(r.CgroupsPath).KillAll(signal);
            return;
        }
        if (kill(r.Pid, signal) < 0) Errno.Throw($"kill {r.Pid}");
    }

    public void Delete(string id, bool force)
    {
        ContainerRecord r;
        try { r = LoadRecord(id); }
        catch (RuntimeException e) when (e.NotFound && force) { return; }
        string status = StatusOf(r);
        var cgroup = ContainerCgroups.Open(r.CgroupsPath);
        if (status is Status.Running or Status.Paused && !force)
            throw new RuntimeException($"cannot delete container {id} that is not stopped: {status}");
        if (status != Status.Stopped)
        {
            // Created containers are destroyed without --force, as runc does; the rest needs --force.
            if (status == Status.Paused) cgroup.Thaw();
            kill(r.Pid, SIGKILL);
            cgroup.KillAll(SIGKILL);
            WaitGone(r);
        }
        // Processes the init left behind (it may have been killed alone) die with the container.
        if (cgroup.GetPids().Count > 0) cgroup.KillAll(SIGKILL);
        Spec? spec = null;
        try { spec = LoadSpec(id); } catch (Exception) { /* a broken state dir is still deleted */ }
        cgroup.Destroy();
        Store.Remove(id);
        _made.Remove(id);
        try { Hooks.Run(spec?.Hooks?.Poststop, StateOf(r, spec, Status.Stopped), "poststop"); }
        catch (RuntimeException e) { Console.Error.WriteLine($"warning: {e.Message}"); }
    }

    private static void WaitGone(ContainerRecord r)
    {
        // Our own child (run) is reaped by the caller; otherwise init's parent reaps it.
        for (int i = 0; i < 2000 && ProcStat.IsAlive(r.Pid, r.PidStartTime); i++)
        {
            unsafe
            {
                int st;
                if (waitpid(r.Pid, &st, WNOHANG) == r.Pid) return;
            }
            Thread.Sleep(1);
        }
    }

    public void Pause(string id)
    {
        var r = Store.Load(id);
        string status = StatusOf(r);
        if (status != Status.Running && status != Status.Created) throw new RuntimeException($"cannot pause a container that is {status}");
        ContainerCgroups.Open(r.CgroupsPath).Freeze();
    }

    public void Resume(string id)
    {
        var r = Store.Load(id);
        string status = StatusOf(r);
        if (status != Status.Paused) throw new RuntimeException($"cannot resume a container that is {status}");
        ContainerCgroups.Open(r.CgroupsPath).Thaw();
    }

    private static unsafe (int, int) SocketPair()
    {
        int* sv = stackalloc int[2];
        Errno.Check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
        return (sv[0], sv[1]);
    }

    /// <summary>Connects to the --console-socket path and returns the fd.</summary>
    public static int ConnectUnix(string path)
    {
        try { return Libc.ConnectUnix(path); }
        catch (SyscallException e) { throw new RuntimeException($"--console-socket {path}: {e.Message}"); }
    }

}
