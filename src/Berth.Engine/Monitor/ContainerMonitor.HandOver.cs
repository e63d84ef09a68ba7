using System.Globalization;
using Berth.Engine.Logs;
using Berth.Linux;
using static Berth.Linux.Libc;

namespace Berth.Engine.Monitor;

// The hand-over. Starting a container runs most of Berth (the document's serializer, the runtime's
// spec reader, seccomp compiler, cgroup and mount code), and a process keeps much of what it ran:
// static tables, heap the collector cannot return, written data pages. The monitor's memory is paid
// once per running container for as long as it runs, so once the container is up and quiet the
// monitor re-executes itself with only the running container's state on its command line: the pid,
// its pidfd and stdio descriptors, the attach socket, the restart timing and the log. The new process
// is the same process (the pid, and so the container's parent, does not change) with a fresh image,
// and reads the container's document only when it needs it (a healthcheck, an attach, the exit).
public sealed partial class ContainerMonitor
{
    private const int HandOverArgs = 13;

    /// <summary>
    /// Only a process that ran the start hands over (a restart runs it again), and only with no client
    /// attached (their sessions would have to be handed over too) and no log line half-written (it
    /// lives in memory).
    /// </summary>
    private bool CanHandOver => _ranStart && _sessions.Count == 0 && _log is not { HasPending: true } && _pid > 0;

    /// <summary>Re-executes this process as a monitor that adopts the running container; returns only if the exec failed.</summary>
    private unsafe void HandOver()
    {
        int[] fds = [_pidFd, _stdoutFd, _stderrFd, _masterFd, _stdinWriteFd, _listenFd];
        string[] args =
        [
            "berth", "monitor", _engine.Storage.Root, _engine.Storage.RunRoot, _engine.Storage.Driver, _id,
            Num(_pid), Num(_pidFd), Num(_stdoutFd), Num(_stderrFd), Num(_masterFd), Num(_stdinWriteFd), Num(_listenFd),
            Num(_runStartedAt.Ticks), Num(_backoff.Ticks), Num(_nextCheck.Ticks),
            _log?.FilePath ?? "", Num(_log?.MaxSize ?? 0), Num(_log?.MaxFiles ?? 1),
        ];
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env.Add($"{e.Key}={e.Value}");
        using var arena = new NativeArena();
        byte** argv = arena.Utf8Array(args), envp = arena.Utf8Array(env);
        _log?.Dispose();   // the new process opens the log again (O_APPEND: it goes on where this one stopped)
        foreach (int fd in fds) if (fd >= 0) fcntl(fd, 2 /* F_SETFD */, 0);
        StartupTrace.Mark("monitor: handing over");
        // This very binary, even if the file at its path was replaced since (an upgrade): the
        // hand-over's command line is a contract between two copies of the same build.
        execve("/proc/self/exe", argv, envp);
        // Still here: carry on in this process.
        foreach (int fd in fds) if (fd >= 0) fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        if (_log is not null) _log = new JsonFileLog(_log.FilePath, _log.MaxSize, _log.MaxFiles);
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The new process's side: takes the running container over and follows it as the old process would have.</summary>
    private int Adopt(string[] state)
    {
        int At(int i) => int.Parse(state[i], CultureInfo.InvariantCulture);
        long Long(int i) => long.Parse(state[i], CultureInfo.InvariantCulture);
        (_pid, _pidFd, _stdoutFd, _stderrFd, _masterFd, _stdinWriteFd, _listenFd) = (At(0), At(1), At(2), At(3), At(4), At(5), At(6));
        foreach (int fd in (ReadOnlySpan<int>)[_pidFd, _stdoutFd, _stderrFd, _masterFd, _stdinWriteFd, _listenFd])
            if (fd >= 0) fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);   // the container's next run must not get them
        _runStartedAt = new DateTime(Long(7), DateTimeKind.Utc);
        _backoff = TimeSpan.FromTicks(Long(8));
        _nextCheck = new DateTime(Long(9), DateTimeKind.Utc);
        if (state[10].Length > 0) _log = new JsonFileLog(state[10], Long(11), At(12));
        StartupTrace.Mark("monitor: adopted");
        return Supervise(running: true);
    }
}
