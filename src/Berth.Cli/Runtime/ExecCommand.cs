using System.CommandLine;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>`exec [options] ID COMMAND [ARGS…]` or `exec -p process.json ID`: a new process in a running container.</summary>
public static class ExecCommand
{
    private static readonly string[] s_valueOptions =
    [
        "--console-socket", "--cwd", "--env", "-e", "--user", "-u", "--additional-gids", "-g", "--process", "-p",
        "--pid-file", "--process-label", "--apparmor", "--cap", "-c", "--preserve-fds", "--cgroup",
    ];
    private static readonly string[] s_globalValueOptions = ["--root", "--log", "--log-format", "--criu", "--rootless"];

    /// <summary>
    /// Everything after the container id is the command, options included ("exec ID sh -c x"), as
    /// runc's parser stops at the first positional: put a "--" after the id.
    /// </summary>
    public static string[] SeparateCommand(string[] args)
    {
        int i = VerbIndex(args);
        if (i >= args.Length || args[i] != "exec") return args;
        for (i++; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--") return args;
            if (a.StartsWith('-')) { if (s_valueOptions.Contains(a)) i++; continue; }
            if (i + 1 < args.Length && args[i + 1] == "--") return args;
            return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
        }
        return args;
    }

    /// <summary>The index of the command name after the global options (args.Length if none).</summary>
    public static int VerbIndex(string[] args)
    {
        int i = 0;
        while (i < args.Length && args[i].StartsWith('-')) i += s_globalValueOptions.Contains(args[i]) ? 2 : 1;
        return Math.Min(i, args.Length);
    }

    public static string? VerbOf(string[] args) => VerbIndex(args) is int i && i < args.Length ? args[i] : null;

    public static Command Build()
    {
        var consoleSocket = new Option<string?>("--console-socket") { Description = "unix socket that receives the pty master" };
        var cwd = new Option<string?>("--cwd") { Description = "current working directory in the container" };
        var env = new Option<string[]>("--env", "-e") { Description = "set an environment variable", AllowMultipleArgumentsPerToken = false };
        var tty = new Option<bool>("--tty", "-t") { Description = "allocate a pseudo-TTY" };
        var user = new Option<string?>("--user", "-u") { Description = "UID[:GID]" };
        var gids = new Option<uint[]>("--additional-gids", "-g") { Description = "additional gids" };
        var process = new Option<string?>("--process", "-p") { Description = "path to a process.json" };
        var detach = new Option<bool>("--detach", "-d") { Description = "detach from the process" };
        var pidFile = new Option<string?>("--pid-file") { Description = "file to write the process's pid to" };
        var label = new Option<string?>("--process-label") { Description = "SELinux label (unsupported here)" };
        var apparmor = new Option<string?>("--apparmor") { Description = "AppArmor profile (unsupported here)" };
        var noNewPrivs = new Option<bool>("--no-new-privs") { Description = "set no_new_privs" };
        var caps = new Option<string[]>("--cap", "-c") { Description = "add a capability" };
        var preserveFds = new Option<int>("--preserve-fds") { Description = "pass N more file descriptors (from 3)" };
        var ignorePaused = new Option<bool>("--ignore-paused") { Description = "accepted for compatibility" };
        var id = new Argument<string>("container-id");
        var command = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore };
        var c = new Command("exec", "run a new process inside a container")
        {
            consoleSocket, cwd, env, tty, user, gids, process, detach, pidFile, label, apparmor, noNewPrivs, caps,
            preserveFds, ignorePaused, id, command,
        };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            string containerId = p.GetValue(id)!;
            Process proc;
            if (p.GetValue(process) is { } file)
            {
                proc = OciJson.ParseProcess(file == "-" ? ReadStdin() : File.ReadAllBytes(file));
            }
            else
            {
                var args = p.GetValue(command) ?? [];
                if (args.Length == 0) throw new RuntimeException("exec: a command is required (or --process)");
                var template = rt.Store.LoadSpec(containerId).Process ?? new Process();
                proc = template;
                proc.Args = [.. args];
                proc.Terminal = p.GetValue(tty);
                proc.ConsoleSize = null;
                if (p.GetValue(cwd) is { } dir) proc.Cwd = dir;
                if (p.GetValue(user) is { } u)
                {
                    string[] parts = u.Split(':');
                    if (!uint.TryParse(parts[0], out uint uid) || (parts.Length > 1 && !uint.TryParse(parts[1], out _)))
                        throw new RuntimeException($"--user {u}: expected UID[:GID]");
                    proc.User.Uid = uid;
                    proc.User.Gid = parts.Length > 1 ? uint.Parse(parts[1]) : 0;
                }
                if (p.GetValue(gids) is { Length: > 0 } g) proc.User.AdditionalGids = [.. g];
                foreach (string e in p.GetValue(env) ?? []) proc.Env = Override(proc.Env ?? [], e);
                if (p.GetValue(noNewPrivs)) proc.NoNewPrivileges = true;
                if (p.GetValue(caps) is { Length: > 0 } added)
                {
                    proc.Capabilities ??= new LinuxCapabilities();
                    foreach (string cap in added)
                    {
                        foreach (var set in new[] { proc.Capabilities.Bounding ??= [], proc.Capabilities.Effective ??= [], proc.Capabilities.Permitted ??= [] })
                            if (!set.Contains(cap)) set.Add(cap);
                    }
                }
            }
            if (p.GetValue(label) is not null) throw new RuntimeException("--process-label: SELinux is not available on this host");
            if (p.GetValue(apparmor) is not null) throw new RuntimeException("--apparmor: AppArmor is not available on this host");
            bool detached = p.GetValue(detach);
            using var proxy = proc.Terminal && p.GetValue(consoleSocket) is null && !detached ? new TerminalProxy() : null;
            int pid = rt.Exec(new ExecOptions
            {
                Id = containerId,
                Process = proc,
                ConsoleSocket = p.GetValue(consoleSocket),
                ConsoleSocketFd = proxy?.ChildEnd ?? -1,
                PidFile = p.GetValue(pidFile),
                PreserveFds = Enumerable.Range(3, p.GetValue(preserveFds)).ToList(),
            });
            if (detached) return 0;
            proxy?.Start();
            using var forward = new SignalForwarder(pid);
            int code = Libc.WaitForExit(pid);
            proxy?.DrainOutput();
            return code;
        }));
        return c;
    }

    private static List<string> Override(List<string> env, string entry)
    {
        int eq = entry.IndexOf('=');
        string key = eq < 0 ? entry : entry[..eq];
        var result = env.Where(e => !e.StartsWith(key + "=", StringComparison.Ordinal)).ToList();
        result.Add(entry);
        return result;
    }

    private static byte[] ReadStdin()
    {
        using var ms = new MemoryStream();
        Console.OpenStandardInput().CopyTo(ms);
        return ms.ToArray();
    }
}
