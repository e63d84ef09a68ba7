using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Process;
using static Berth.Linux.Libc;

namespace Berth.Runtime;

public sealed class ExecOptions
{
    public required string Id { get; init; }
    public required Oci.Process Process { get; init; }
    public string? ConsoleSocket { get; init; }
    public int ConsoleSocketFd { get; init; } = -1;
    public string? PidFile { get; init; }
    public IReadOnlyList<int> PreserveFds { get; init; } = [];
    /// <summary>
    /// The fds the process gets as its 0, 1 and 2 (three of them), or null for the caller's own.
    /// A terminal process gets its pty for all three whatever this says.
    /// </summary>
    public IReadOnlyList<int>? Stdio { get; init; }
}

public sealed partial class ContainerRuntime
{
    // /proc/<pid>/ns names in the order they are joined: the user namespace first, so that the
    // others are joined with the capabilities it grants; mnt late, as runc does.
    private static readonly (string Type, string ProcName)[] s_joinOrder =
    [
        ("user", "user"), ("ipc", "ipc"), ("uts", "uts"), ("network", "net"), ("pid", "pid"),
        ("cgroup", "cgroup"), ("time", "time"), ("mount", "mnt"),
    ];

    /// <summary>
    /// Starts a new process in a running container: joins all of its namespaces and its cgroup,
    /// then applies the process's user, capabilities, no_new_privs and the container's seccomp
    /// profile, all in spawn.c — no managed code runs inside the container. Returns the pid.
    /// </summary>
    public int Exec(ExecOptions o)
    {
        var r = Store.Load(o.Id);
        string status = StatusOf(r);
        if (status is not (Status.Running or Status.Created)) throw new RuntimeException($"cannot exec in a {status} container");
        Spec spec = Store.LoadSpec(o.Id);
        SpecValidator.Validate(o.Process, "process");
        var args = o.Process.Args ?? [];
        if (args.Count == 0) throw new RuntimeException("process.args must not be empty");

        var toClose = new List<int>();
        try
        {
            var join = new List<int>();
            foreach (var (type, procName) in s_joinOrder)
            {
                if (spec.Linux?.Namespaces?.Any(n => n.Type == type) != true) continue;
                // The user namespace of a container that joined the host's is no new one: skip what equals ours.
                string target = $"/proc/{r.Pid}/ns/{procName}";
                if (SameNamespace(target, $"/proc/self/ns/{procName}")) continue;
                int fd = open(target, O_RDONLY | O_CLOEXEC);
                if (fd < 0) Errno.Throw($"open {target}");
                toClose.Add(fd);
                join.Add(fd);
            }
            int consoleFd = o.ConsoleSocketFd;
            if (o.Process.Terminal && consoleFd < 0)
            {
                if (o.ConsoleSocket is null) throw new RuntimeException("process.terminal is true: --console-socket is required");
                consoleFd = ContainerRuntime.ConnectUnix(o.ConsoleSocket);
                toClose.Add(consoleFd);
            }
            var (goRead, goWrite) = Pipe();
            toClose.Add(goRead);
            toClose.Add(goWrite);
            var fdMap = o.PreserveFds.Select(fd => (fd, fd)).ToList();
            if (o.Stdio is { } stdio)
            {
                if (stdio.Count != 3) throw new ArgumentException("exec: Stdio needs exactly three fds (0, 1, 2)");
                for (int target = 0; target < 3; target++) fdMap.Add((stdio[target], target));
            }
            var final = ProcessSettings.Build(o.Process, spec.Linux?.Seccomp, consoleFd, setsid: consoleFd < 0, personality: spec.Linux?.Personality, preserveFds: o.PreserveFds.Count);
            using var child = Spawner.Spawn(new SpawnOptions
            {
                Path = args[0],
                Args = args,
                Env = o.Process.Env ?? [],
                JoinFds = join,
                GoFd = goRead,
                FdMap = fdMap,
                Final = final,
            });
            try
            {
                ProcessScheduling.ApplyInitial(child.Pid, o.Process); // execCPUAffinity.initial: before the cgroup
                ContainerCgroups.Open(r.CgroupsPath).AddProcess(child.Pid);
                ProcessScheduling.ApplyFinal(child.Pid, o.Process);
                if (o.Process.OomScoreAdj is { } adj) File.WriteAllText($"/proc/{child.Pid}/oom_score_adj", adj.ToString());
                WriteAll(goWrite, "g"u8, "release exec process");
                child.WaitForExec(args[0]);
            }
            catch
            {
                kill(child.Pid, SIGKILL);
                try { WaitForExit(child.Pid); } catch (SyscallException) { }
                throw;
            }
            if (o.PidFile is not null) StateStore.WriteAtomic(Path.GetFullPath(o.PidFile), System.Text.Encoding.ASCII.GetBytes(child.Pid.ToString()));
            return child.Pid;
        }
        finally
        {
            foreach (int fd in toClose) close(fd);
        }
    }

    private static bool SameNamespace(string a, string b)
    {
        try
        {
            return new FileInfo(a).LinkTarget is { } x && x == new FileInfo(b).LinkTarget;
        }
        catch (IOException) { return false; }
    }
}

public sealed partial class ContainerRuntime
{
    /// <summary>The pids in the container's cgroup (`ps`).</summary>
    public IReadOnlyList<int> Pids(string id)
    {
        var r = Store.Load(id);
        if (StatusOf(r) == Status.Stopped) return [];
        return ContainerCgroups.Open(r.CgroupsPath).GetPids();
    }

    /// <summary>Changes the resources of a live container and records them in its stored config (`update`).</summary>
    public void Update(string id, LinuxResources resources)
    {
        var r = Store.Load(id);
        string status = StatusOf(r);
        if (status == Status.Stopped) throw new RuntimeException($"cannot update a container that is {status}");
        ContainerCgroups.Open(r.CgroupsPath).Update(resources);
        var spec = Store.LoadSpec(id);
        spec.Linux ??= new Oci.Linux();
        spec.Linux.Resources = ResourceMerge.Merge(spec.Linux.Resources, resources);
        Store.SaveSpec(id, spec);
    }

    public Cgroups.CgroupStats Stats(string id, out ulong oomKills)
    {
        var r = Store.Load(id);
        if (StatusOf(r) == Status.Stopped) throw new RuntimeException("container not running");
        var cg = ContainerCgroups.Open(r.CgroupsPath);
        oomKills = cg.OomKilledCount();
        return cg.Stats();
    }

    /// <summary>OOM kills in the container's cgroup so far; readable after it stopped, until delete.</summary>
    public ulong OomKills(string id)
    {
        try { return ContainerCgroups.Open(Store.Load(id).CgroupsPath).OomKilledCount(); }
        catch (SyscallException) { return 0; }
    }
}
