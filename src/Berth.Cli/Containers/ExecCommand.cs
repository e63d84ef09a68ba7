using System.CommandLine;
using System.Runtime.InteropServices;
using Berth.Cli.Engine;
using Berth.Cli.Runtime;
using Berth.Engine.Containers;
using Berth.Engine.Options;
using Berth.Linux;

namespace Berth.Cli.Containers;

/// <summary>
/// docker exec [-d] [-i] [-t] [-e K=V]… [--env-file F]… [-u USER] [-w DIR] [--privileged] CONTAINER COMMAND [ARG…].
/// <para>
/// Flags stop at the container (`exec c ls -l` gives -l to ls), as for run. This process starts
/// the command through the runtime and is its parent: in the foreground it waits for it and exits
/// with its code, forwarding the signals it gets (no tty) or copying between the terminal and the
/// pty (tty).
/// </para>
/// <para>
/// Detached (-d), the command gets /dev/null as stdin, stdout and stderr — nothing of the caller's
/// terminal or pipes stays open in it, so a caller reading this process's output to its end is not
/// held by the command — and this process exits at once. The command, a child of a process that
/// is gone, is reparented by the kernel to the nearest subreaper above us (or to the host's init),
/// which reaps it when it ends: it never stays a zombie with no one to wait for it. No double fork
/// is needed for that; what a double fork would add — not being our child for a moment — buys
/// nothing, since we exit right away. When the container stops, the kernel kills the command with
/// the rest of the container's pid namespace. -d with -t gives no pty (no process would hold its
/// master, and the command would get a hangup).
/// </para>
/// </summary>
public static class ExecCommand
{
    /// <summary>Parses and runs `[global options] exec …` (or `container exec …`, with "container" taken out by the caller).</summary>
    public static int Execute(string[] args, int verbAt)
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables", AllowMultipleArgumentsPerToken = false };
        var envFile = new Option<string[]>("--env-file") { Description = "Read in a file of environment variables", AllowMultipleArgumentsPerToken = false };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: \"<name|uid>[:<group|gid>]\")" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command" };
        var command = new Command("exec", "Execute a command in a running container")
        {
            detach, interactive, tty, env, envFile, user, workdir, privileged,
        };
        var root = new RootCommand("berth") { EngineCli.RootOption, EngineCli.RunRootOption, EngineCli.StorageDriverOption, EngineCli.InsecureRegistryOption };
        root.Subcommands.Add(command);

        string[] flagTokens;
        string? container;
        string[] commandArgs;
        try { (flagTokens, container, commandArgs) = RunFlags.Split(args[(verbAt + 1)..], command); }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"{e.Message}\nSee 'berth exec --help'.");
            return 125;
        }
        var parsed = root.Parse([.. args[..verbAt].Where(a => a != "container"), "exec", .. flagTokens]);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"Error: {e.Message}");
            return 125;
        }
        if (container is null && flagTokens.Any(t => t is "--help" or "-?")) return parsed.Invoke();
        if (container is null || commandArgs.Length == 0)
        {
            Console.Error.WriteLine("\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.\n\n"
                + "Usage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container");
            return 1;
        }

        bool detached = parsed.GetValue(detach);
        bool stdin = parsed.GetValue(interactive) && !detached;
        bool terminal = parsed.GetValue(tty) && !detached;
        try
        {
            if (terminal && stdin && Libc.isatty(0) != 1)
            {
                Console.Error.WriteLine("the input device is not a TTY");
                return 1;
            }
            var environment = new List<string>();
            foreach (string file in parsed.GetValue(envFile) ?? []) environment.AddRange(KeyValueFlags.ReadEnvFile(file, Environment.GetEnvironmentVariable));
            foreach (string e in parsed.GetValue(env) ?? [])
                if (KeyValueFlags.ParseEnv(e, Environment.GetEnvironmentVariable) is { } entry) environment.Add(entry);
            var engine = ContainerCli.Engine(parsed);
            var request = new ExecRequest
            {
                Command = commandArgs, Env = environment, User = parsed.GetValue(user), WorkingDir = parsed.GetValue(workdir),
                Tty = terminal, Privileged = parsed.GetValue(privileged), ConsoleSize = terminal ? WindowSize() : null,
            };
            if (terminal) return RunWithTerminal(engine, container, request, stdin);
            int devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
            if (devNull < 0) Errno.Throw("open /dev/null");
            StartedExec exec;
            try
            {
                int[] fds = detached ? [devNull, devNull, devNull] : [stdin ? 0 : devNull, 1, 2];
                exec = engine.Exec(container, request, new ExecStdio { Fds = fds });
            }
            finally { Libc.close(devNull); }
            if (detached) return 0;
            int code;
            using (new SignalForwarder(exec.Pid)) code = Libc.WaitForExit(exec.Pid);
            engine.ExecExited(exec, code);
            return code;
        }
        catch (ContainerException e)
        {
            Console.Error.WriteLine("Error: " + e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is NoSuchContainerException or FormatException or IOException or UnauthorizedAccessException
            or SyscallException or Berth.Runtime.RuntimeException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine("Error: " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static (ushort Rows, ushort Cols)? WindowSize() =>
        Libc.TryGetWindowSize(1, out var size) || Libc.TryGetWindowSize(0, out size) ? (size.Rows, size.Cols) : null;

    /// <summary>
    /// -t: the runtime sends the pty's master over a socket pair; this process copies the master to
    /// stdout (and, with -i, stdin to the master, the terminal in raw mode so that keys such as
    /// ctrl-c reach the pty), passes window size changes, and waits for the command.
    /// </summary>
    private static int RunWithTerminal(ContainerEngine engine, string container, ExecRequest request, bool stdin)
    {
        var (mine, theirs) = Libc.SocketPair(Libc.SOCK_STREAM);
        StartedExec exec;
        int master;
        try
        {
            exec = engine.Exec(container, request, new ExecStdio { ConsoleSocketFd = theirs });
            master = Libc.ReceiveFd(mine, out _);
        }
        finally
        {
            Libc.close(mine);
            Libc.close(theirs);
        }
        Libc.Termios? saved = stdin ? Libc.MakeRaw(0) : null;
        var winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize(master));
        try
        {
            var output = new Thread(() => Copy(master, 1)) { IsBackground = true, Name = "pty output" };
            output.Start();
            if (stdin) new Thread(() => Copy(0, master)) { IsBackground = true, Name = "stdin" }.Start();
            int code = Libc.WaitForExit(exec.Pid);
            // The pty ends (EIO) once no process holds its other side; one left in the background may keep it open.
            output.Join(TimeSpan.FromSeconds(2));
            engine.ExecExited(exec, code);
            return code;
        }
        finally
        {
            winch.Dispose();
            if (saved is { } s) Libc.Restore(0, s);
            // The master stays open until this process exits: the stdin thread may still write to it.
        }
    }

    private static void CopyWindowSize(int master)
    {
        if (Libc.TryGetWindowSize(1, out var size) || Libc.TryGetWindowSize(0, out size)) Libc.SetWindowSize(master, size);
    }

    /// <summary>Copies until end of input, an error (EIO: the pty's other side is gone) or a write that fails.</summary>
    private static unsafe void Copy(int from, int to)
    {
        var buffer = new byte[8192];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.read(from, p, buffer.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            if (n <= 0) return;
            try { Libc.WriteAll(to, buffer.AsSpan(0, (int)n), "copy the exec's terminal"); }
            catch (SyscallException) { return; }
        }
    }
}
