using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Process;
using Berth.Runtime.Rootfs;
using Berth.Runtime.Seccomp;
using static Berth.Linux.Libc;

namespace Berth.Runtime.Init;

/// <summary>
/// `berth init`: PID 1 of a new container, a freshly executed copy of the berth binary that
/// spawn.c started inside the container's namespaces and cgroup. It builds the rootfs, lets the
/// runtime run its hooks, reports "created", waits on the exec fifo for `start`, and then replaces
/// itself with the container's program through spawn.c's berth_final_exec.
/// </summary>
public static class InitStage
{
    public const string SyncFdVariable = "_BERTH_SYNC_FD";

    public static int Run()
    {
        // No one in the container may open our binary through /proc/1/exe while we run.
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        StartupTrace.Mark("init: main");
        string? fdText = Environment.GetEnvironmentVariable(SyncFdVariable);
        if (fdText is null || !int.TryParse(fdText, out int fd))
        {
            Console.Error.WriteLine("berth init: not started by the berth runtime");
            return 1;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        using var sync = new SyncChannel(fd);
        try
        {
            var msg = sync.Receive() ?? throw new RuntimeException("runtime closed the sync socket");
            if (msg.Kind != SyncChannel.Config) throw new RuntimeException($"expected config, got {msg.Kind}");
            var config = InitConfig.Parse(msg.Payload);
            var spec = sync.ReceiveBytes() ?? throw new RuntimeException("runtime closed the sync socket");
            if (spec.Kind != SyncChannel.Spec) throw new RuntimeException($"expected spec, got {spec.Kind}");
            StartupTrace.Mark("init: config read");
            return Start(config, OciJson.ParseSpec(spec.Payload), sync);
        }
        catch (Exception e)
        {
            // Before "created" the runtime reports the error; after it (a failed exec at start) only stderr can.
            if (sync.Fd >= 0)
            {
                try { sync.Send(SyncChannel.Error, e.Message); return 1; } catch (Exception) { }
            }
            Console.Error.WriteLine($"berth init: {e.Message}");
            return 1;
        }
    }

    private static int Start(InitConfig config, Spec spec, SyncChannel sync)
    {
        // The runtime sent the config once this process was in the container's cgroup: a cgroup
        // namespace made now has that cgroup as its root. This thread is the one that execs.
        // Not dumpable, /proc/self/fd would belong to the host's root, out of reach of a user
        // namespace's root. There the host binary is out of its reach anyway (CVE-2019-5736).
        if ((config.NewNamespaces & CLONE_NEWUSER) != 0) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if ((config.NewNamespaces & CLONE_NEWCGROUP) != 0 && unshare((int)CLONE_NEWCGROUP) < 0) Errno.Throw("unshare cgroup namespace");
        Oci.Process process = spec.Process ?? throw new RuntimeException("config.json: process is required");
        var rootfs = new RootfsSetup(config, spec);
        bool newMountNs = (config.NewNamespaces & CLONE_NEWNS) != 0 || spec.Linux?.Namespaces?.Any(n => n.Type == "mount") == true;
        StartupTrace.Mark("init: config received");
        if (newMountNs) rootfs.Prepare();
        StartupTrace.Mark("init: mounts done");

        // prestart and createRuntime hooks run in the runtime's namespaces; the runtime answers "ok".
        if (spec.Hooks is { Prestart.Count: > 0 } or { CreateRuntime.Count: > 0 })
        {
            sync.Send(SyncChannel.Hooks);
            var reply = sync.Receive();
            if (reply?.Kind != SyncChannel.Ok) throw new RuntimeException(reply?.Payload is { Length: > 0 } p ? p : "runtime stopped before the hooks ran");
        }

        var state = new State { Id = config.Id, Status = Status.Created, Pid = getpid(), Bundle = config.Bundle, Annotations = spec.Annotations };
        Hooks.Run(spec.Hooks?.CreateContainer, state, "createContainer");

        if (newMountNs) rootfs.Finish();   // with the sysctls, before /proc/sys turns read-only
        else
        {
            if (chroot(config.Rootfs) < 0 || chdir("/") < 0) Errno.Throw($"chroot {config.Rootfs}");
            RootfsSetup.WriteSysctls(spec);
        }
        if (spec.Hostname is { Length: > 0 } host && sethostname(host, host.Length) < 0) Errno.Throw("sethostname");
        if (spec.Domainname is { Length: > 0 } domain && setdomainname(domain, domain.Length) < 0) Errno.Throw("setdomainname");

        var args = process.Args ?? [];
        if (args.Count == 0) throw new RuntimeException("config.json: process.args must not be empty");
        var env = process.Env ?? [];
        string path = ProcessSettings.LookPath(args[0], env)
            ?? throw new RuntimeException($"exec: \"{args[0]}\": executable file not found in $PATH");

        // The pty is made now so that `create` can hand its master to the console socket.
        var final = ProcessSettings.Build(process, spec.Linux?.Seccomp, config.ConsoleFd, setsid: true, personality: spec.Linux?.Personality, preserveFds: config.PreserveFds);
        if (config.ConsoleFd >= 0)
        {
            unsafe
            {
                int step;
                if (BerthNative.berth_console(config.ConsoleFd, final.ConsoleRows, final.ConsoleCols, &step) < 0)
                    throw new SyscallException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), BerthNative.StepName(step));
            }
            close(config.ConsoleFd);
            final = ProcessSettings.Build(process, spec.Linux?.Seccomp, consoleSocket: -1, setsid: false, personality: spec.Linux?.Personality, preserveFds: config.PreserveFds);
        }

        StartupTrace.Mark("init: ready");
        if (spec.Linux?.Seccomp is { } seccomp && SeccompCompiler.Compile(seccomp) is { UsesNotify: true } notifying)
        {
            LoadNotifyingSeccomp(notifying, sync);
            final = ProcessSettings.Build(process, seccomp: null, consoleSocket: -1, setsid: config.ConsoleFd < 0, personality: spec.Linux?.Personality, preserveFds: config.PreserveFds);
        }
        sync.Send(SyncChannel.Created);
        sync.Dispose();

        // Blocks until `start` opens the fifo for reading.
        int fifo = open($"/proc/self/fd/{config.FifoFd}", O_WRONLY | O_CLOEXEC);
        if (fifo < 0) Errno.Throw("open exec fifo");
        close(config.FifoFd);
        WriteAll(fifo, "0"u8, "write exec fifo");
        // The fifo stays open, close-on-exec: `start` sees its end when the program has replaced
        // this process (or this process died), and only then runs the poststart hooks.

        state.Status = Status.Running;
        Hooks.Run(spec.Hooks?.StartContainer, state, "startContainer");
        StartupTrace.Mark("init: exec");
        Spawner.FinalExec(final, path, args, env);
        return 127; // FinalExec throws on failure
    }

    /// <summary>
    /// SCMP_ACT_NOTIFY: the filter is loaded here, before "created", and its listener fd goes to the
    /// runtime, which hands it to linux.seccomp.listenerPath while `create` still runs (as runc does).
    /// From here on this thread's own calls pass the filter too.
    /// </summary>
    private static unsafe void LoadNotifyingSeccomp(SeccompProgram program, SyncChannel sync)
    {
        byte[] filter = program.ToBytes();
        int fd;
        fixed (byte* p = filter) fd = BerthNative.berth_seccomp_listener(p, filter.Length / 8, program.Flags);
        if (fd < 0) Errno.Throw("seccomp: load the filter with a notification listener");
        try
        {
            sync.Send(SyncChannel.Seccomp);
            SendFd(sync.Fd, fd, "seccompFd"u8);
        }
        finally { close(fd); }
        var reply = sync.Receive();
        if (reply?.Kind != SyncChannel.Ok) throw new RuntimeException(reply?.Payload is { Length: > 0 } e ? e : "runtime stopped before it passed on the seccomp listener");
    }
}
