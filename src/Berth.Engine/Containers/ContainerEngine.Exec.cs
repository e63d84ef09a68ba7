using System.Runtime.InteropServices;
using Berth.Engine.Defaults;
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
    /// Starts <paramref name="request"/>'s process in the running container and returns its host pid.
    /// The process is the caller's child: the caller waits for it (or, detached, exits and lets it be
    /// reparented). Errors have docker's exit codes: 1 for a container that cannot take an exec,
    /// 127 for a command not found, 126 for one that cannot run.
    /// </summary>
    public int Exec(string reference, ExecRequest request, ExecStdio stdio)
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
            var all = DockerDefaults.AllCapabilities.ToList();
            process.Capabilities = new Oci.LinuxCapabilities { Bounding = all, Effective = [.. all], Permitted = [.. all] };
        }
        try
        {
            return Runtime().Exec(new ExecOptions
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
    }
}
