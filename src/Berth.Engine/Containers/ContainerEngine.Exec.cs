using System.Runtime.InteropServices;
using Berth.Engine.Defaults;
using Berth.Engine.Model;
using Berth.Linux;
using Berth.Runtime;
using Berth.Runtime.Process;

namespace Berth.Engine.Containers;

/// <summary>What `docker exec` asks for: the command and the changes to the container's own process settings.</summary>
public sealed class ExecRequest
{
    public required IReadOnlyList<string> Command { get; init; }
    /// <summary>-e and --env-file entries, KEY=VALUE, over the container's environment.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>-u: user[:group] or uid[:gid], looked up in the container's /etc/passwd and /etc/group; null: the container's user.</summary>
    public string? User { get; init; }
    /// <summary>-w; null: the container's working directory.</summary>
    public string? WorkingDir { get; init; }
    /// <summary>-t: a pty, whose master goes to <see cref="ExecStdio.ConsoleSocketFd"/>.</summary>
    public bool Tty { get; init; }
    /// <summary>--privileged: every capability, as docker gives a privileged exec.</summary>
    public bool Privileged { get; init; }
    /// <summary>The pty's first window size (rows, columns), or null.</summary>
    public (ushort Rows, ushort Cols)? ConsoleSize { get; init; }
}

/// <summary>An exec'd process: its host pid, docker's exec id (for events) and the container it runs in.</summary>
public sealed record StartedExec(int Pid, string ExecId, Container Container, string CommandLine);

/// <summary>Where an exec'd process's stdio comes from: three fds, or the caller's own; for a tty, the socket that receives the pty master.</summary>
public sealed class ExecStdio
{
    public IReadOnlyList<int>? Fds { get; init; }
    public int ConsoleSocketFd { get; init; } = -1;
}

// exec: a new process in a running container, started by the caller (who is its parent and reaps it).
public sealed partial class ContainerEngine
{
    /// <summary>
    /// Starts <paramref name="request"/>'s process in the running container. The process is the
    /// caller's child: the caller waits for it and reports its end with <see cref="ExecExited"/>
    /// (or, detached, exits and lets it be reparented). Errors have docker's exit codes: 1 for a
    /// container that cannot take an exec, 127 for a command not found, 126 for one that cannot run.
    /// </summary>
    public StartedExec Exec(string reference, ExecRequest request, ExecStdio stdio)
    {
        if (request.Command.Count == 0) throw new ContainerException("exec: no command specified", 1);
        var c = Get(reference);
        if (c.State.Paused) throw new ContainerException($"container {c.Id} is paused, unpause the container before exec", 1);
        if (c.State.Restarting) throw new ContainerException($"container {c.Id} is restarting, wait until the container is running", 1);
        if (!c.State.Running) throw new ContainerException($"container {c.Id} is not running", 1);

        Oci.Process process;
        try { process = ExecProcesses.Build(this, c, request.Command, request.User, request.Env, request.WorkingDir, request.Tty); }
        catch (ArgumentException e) { throw new ContainerException(e.Message, 126); }   // an unknown user or group
        if (request.Tty && request.ConsoleSize is { } size) process.ConsoleSize = new Oci.ConsoleSize { Height = size.Rows, Width = size.Cols };
        if (request.Privileged)
        {
            var all = GrantableCapabilities();
            process.Capabilities = new Oci.LinuxCapabilities { Bounding = all, Effective = [.. all], Permitted = [.. all] };
        }
        string execId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string commandLine = string.Join(' ', request.Command);
        Events.Container(c, "exec_create: " + commandLine, new() { ["execID"] = execId });
        int pid;
        try
        {
            pid = Runtime().Exec(new ExecOptions
            {
                Id = c.Id, Process = process, ConsoleSocketFd = request.Tty ? stdio.ConsoleSocketFd : -1, Stdio = stdio.Fds,
            });
        }
        catch (SpawnException e)
        {
            string message = e.Step == BerthNative.STEP_EXEC && e.Errno != Errno.ENOENT
                ? $"exec: \"{request.Command[0]}\": {Marshal.GetPInvokeErrorMessage(e.Errno).ToLowerInvariant()}"
                : e.Message;
            throw new ContainerException("OCI runtime exec failed: exec failed: unable to start container process: " + message,
                e.Errno == Errno.ENOENT ? 127 : 126);
        }
        catch (RuntimeException) when (Get(c.Id) is { State.Running: false } now)
        {
            // It stopped between the check and the runtime's own.
            throw new ContainerException($"container {now.Id} is not running", 1);
        }
        Events.Container(c, "exec_start: " + commandLine, new() { ["execID"] = execId });
        return new StartedExec(pid, execId, c, commandLine);
    }

    /// <summary>Records the end of an exec the caller waited for (docker's exec_die event).</summary>
    public void ExecExited(StartedExec exec, int exitCode) =>
        Events.Container(exec.Container, "exec_die", new() { ["execID"] = exec.ExecId, ["exitCode"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Every capability, less those this process's bounding set lacks (a privileged exec gets all the host can give).</summary>
    private static List<string> GrantableCapabilities()
    {
        var all = DockerDefaults.AllCapabilities.ToList();
        if (RawFile.TryReadText("/proc/self/status", out string status) != 0) return all;
        string? line = status.Split('\n').FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        if (line is null) return all;
        var bounding = Capabilities.NamesOf(Convert.ToUInt64(line["CapBnd:".Length..].Trim(), 16)).ToHashSet();
        return all.Where(bounding.Contains).ToList();
    }
}
