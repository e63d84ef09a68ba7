using System.Runtime.InteropServices;
using System.Text;
using Berth.Engine.Containers;
using Berth.Engine.Logs;
using Berth.Engine.Model;
using Berth.Images.Store;
using Berth.Linux;
using Berth.Runtime;
using static Berth.Linux.Libc;

namespace Berth.Engine.Monitor;

/// <summary>
/// `berth monitor ROOT RUNROOT DRIVER ID`: the process that stays with one container (conmon's and
/// containerd-shim's job). It creates and starts the container through the runtime, so it is its
/// parent and reaps it; holds its stdio or pty; writes the json-file log; hands output to attached
/// clients; records the exit code, OOM kill and finish time; applies the restart policy; runs
/// healthchecks; and removes what the container used when it is done. One thread, one poll loop:
/// it must stay small (its memory is paid once per running container).
/// </summary>
public sealed partial class ContainerMonitor
{
    private const int FirstSessionFd = 3;
    private readonly ContainerEngine _engine;
    private readonly string _id;
    private readonly ContainerRuntime _runtime;
    private readonly List<Session> _sessions = [];
    private Container? _current;
    private JsonFileLog? _log;
    private bool _ranStart;   // this process started the container (see HandOver)
    private int _listenFd = -1;
    private byte[]? _failure;

    // Of the current run of the container.
    private int _pid, _pidFd = -1, _stdoutFd = -1, _stderrFd = -1, _masterFd = -1, _stdinWriteFd = -1;
    private DateTime _runStartedAt;
    private TimeSpan _backoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The container's document, read when first needed (a monitor that took over reads it only if it must).</summary>
    private Container Current
    {
        get => _current ??= _engine.Store.Load(_id);
        set => _current = value;
    }

    private sealed class Session(int fd)
    {
        public int Fd = fd;
        public int Out = -1, Err = -1;
        public bool WantsStdin;
    }

    private ContainerMonitor(ContainerEngine engine, string id)
    {
        _engine = engine;
        _id = id;
        _runtime = engine.Runtime();
        engine.Store.ReadJson.Private = engine.Store.WriteJson.Private = engine.Events.WriteJson.Private = true;
    }

    /// <summary>`monitor ROOT RUNROOT DRIVER ID`, or with the state of a running container after it (<see cref="HandOver"/>).</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 5 && args.Length != 5 + HandOverArgs) return 2;
        SetName(ContainerEngine.MonitorName);
        bool adopted = args.Length > 5;
        if (!adopted)
        {
            setsid();
            // Nothing of the client's terminal or pipes stays here: clients hand over what they want written.
            int devNull = open("/dev/null", O_RDWR | O_CLOEXEC);
            for (int fd = 0; fd <= 2; fd++) dup2(devNull, fd);
            close(devNull);
        }
        var engine = new ContainerEngine(new ImageStorage(args[1], args[2], args[3]));
        var monitor = new ContainerMonitor(engine, args[4]);
        StartupTrace.Mark("monitor: loaded");
        return adopted ? monitor.Adopt(args[5..]) : monitor.Run();
    }

    private static unsafe void SetName(string name)
    {
        byte* buffer = stackalloc byte[16];
        int n = Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(15, name.Length)), new Span<byte>(buffer, 15));
        buffer[n] = 0;
        prctl(PR_SET_NAME, (ulong)buffer, 0, 0, 0);
    }

    private int Run()
    {
        fcntl(FirstSessionFd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);   // inherited; the container must not get it
        _sessions.Add(new Session(FirstSessionFd));
        // The starting client's attach request comes once the bundle is ready; it is read before
        // anything runs, so no output is lost. Its end closing first means the start was given up.
        // Meanwhile the serializer's metadata is built, so the container's document reads fast.
        _engine.Store.PrepareReading();
        if (!ReadSessionMessage(_sessions[0])) return 1;
        var c = Current;
        StartupTrace.Mark("monitor: container loaded");
        _listenFd = ListenUnix(_engine.AttachSocket(_id), SOCK_SEQPACKET);
        var (maxSize, maxFiles) = JsonFileLog.Options(c.HostConfig.LogConfig);
        if (c.LogPath.Length > 0) _log = new JsonFileLog(c.LogPath, maxSize, maxFiles);
        return Supervise(running: false);
    }

    /// <summary>Starts the container (unless it already runs), follows it, and restarts it as its policy says.</summary>
    private int Supervise(bool running)
    {
        bool first = !running;
        int exitCode;
        while (true)
        {
            if (!running)
            {
                _runStartedAt = DateTime.UtcNow;
                if (!StartOnce(first, out exitCode)) break;
                StartupTrace.Mark("monitor: started");
                _ranStart = true;
                first = false;
            }
            running = false;
            exitCode = Follow();
            StartupTrace.Mark("monitor: container exited");
            bool oomKilled = _runtime.OomKills(_id) > 0;
            if (oomKilled) _engine.Events.Container(Current, "oom");
            _engine.Events.Container(Current, "die", new() { ["exitCode"] = exitCode.ToString() });
            CloseRun();
            try { _runtime.Delete(_id, force: true); } catch (RuntimeException) { }
            bool restart = false;
            Current = _engine.Store.Update(_id, c =>
            {
                c.State.Running = c.State.Paused = false;
                c.State.Pid = 0;
                c.State.ExitCode = exitCode;
                c.State.OOMKilled = oomKilled;
                c.State.FinishedAt = DateTime.UtcNow;
                restart = ShouldRestart(c, exitCode);
                c.State.Restarting = restart;
                c.State.Status = restart ? "restarting" : "exited";
                if (c.State.Health is { } h) h.Status = "unhealthy";
                if (restart) c.RestartCount++;
            });
            if (!restart) break;
            Broadcast("R"u8);
            // docker's back-off: doubling from 100 ms, reset after a run of 10 s or more.
            if (DateTime.UtcNow - _runStartedAt >= TimeSpan.FromSeconds(10)) _backoff = TimeSpan.FromMilliseconds(100);
            WaitServing(_backoff);
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
            Current = _engine.Store.Load(_id);
            if (Current.HasBeenManuallyStopped)
            {
                _engine.Store.Update(_id, c => { c.State.Restarting = false; c.State.Status = "exited"; });
                break;
            }
        }
        StartupTrace.Mark("monitor: state recorded");
        _log?.Dispose();
        close(_listenFd);
        _engine.ReleaseRuntime(_id);   // the socket and pid file go with the run folder
        StartupTrace.Mark("monitor: runtime released");
        if (Current.HostConfig.AutoRemove)
        {
            try { _engine.RemoveStopped(_id, removeVolumes: true, deleteNow: false); }
            catch (Exception e) when (e is IOException or NoSuchContainerException or SyscallException) { }
        }
        StartupTrace.Mark("monitor: removed");
        Broadcast(_failure ?? Encoding.ASCII.GetBytes("X" + exitCode));
        foreach (var s in _sessions) DropSession(s);
        if (Current.HostConfig.AutoRemove) _engine.Store.DeleteDiscarded();
        return 0;
    }

    private static bool ShouldRestart(Container c, int exitCode)
    {
        if (c.HasBeenManuallyStopped) return false;
        var policy = c.HostConfig.RestartPolicy;
        return policy.Name switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (policy.MaximumRetryCount == 0 || c.RestartCount < policy.MaximumRetryCount),
            _ => false,
        };
    }

    /// <summary>Creates and starts one run of the container; false (with docker's exit code) if it could not start.</summary>
    private bool StartOnce(bool first, out int exitCode)
    {
        exitCode = 0;
        var config = Current.Config;
        int consoleOther = -1, consoleMine = -1;
        int stdinRead = -1;
        var childEnds = new List<int>();
        try
        {
            if (config.Tty)
            {
                (consoleMine, consoleOther) = SocketPair(SOCK_STREAM);
            }
            else
            {
                var (outR, outW) = Pipe();
                var (errR, errW) = Pipe();
                _stdoutFd = outR;
                _stderrFd = errR;
                childEnds.Add(outW);
                childEnds.Add(errW);
                if (config.OpenStdin)
                {
                    var (inR, inW) = Pipe();
                    stdinRead = inR;
                    _stdinWriteFd = inW;
                    childEnds.Add(inR);
                }
            }
            // The init inherits this process's 0, 1 and 2: point them at the container's ends for the spawn.
            int devNull = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (!config.Tty)
            {
                dup2(stdinRead >= 0 ? stdinRead : devNull, 0);
                dup2(childEnds[0], 1);
                dup2(childEnds[1], 2);
            }
            ContainerRecord record;
            try
            {
                record = _runtime.Create(new CreateOptions
                {
                    Id = _id, Bundle = _engine.Store.RunDirOf(_id), ConsoleSocketFd = consoleOther, ConsoleOnlyIfTerminal = true,
                });
            }
            finally
            {
                dup2(devNull, 0);
                dup2(devNull, 1);
                dup2(devNull, 2);
                close(devNull);
            }
            foreach (int fd in childEnds) close(fd);
            childEnds.Clear();
            if (config.Tty)
            {
                close(consoleOther);
                consoleOther = -1;
                _masterFd = ReceiveFd(consoleMine, out _);
            }
            _pid = record.Pid;
            _pidFd = PidfdOpen(_pid);
            _runtime.Start(_id);
            _runtime.Forget(_id);
        }
        catch (Exception e)
        {
            foreach (int fd in childEnds) close(fd);
            CloseRun();
            try { _runtime.Delete(_id, force: true); } catch (RuntimeException) { }
            exitCode = ExitCodeOf(e);
            string message = Message(e);
            int code = exitCode;
            Current = _engine.Store.Update(_id, c =>
            {
                c.State.Error = message;
                c.State.ExitCode = code;
                c.State.Running = c.State.Restarting = false;
                c.State.Status = first ? c.State.Status == "created" ? "created" : "exited" : "exited";
                c.State.FinishedAt = DateTime.UtcNow;
            });
            // Reported once the cleanup (and --rm's removal) is done, like an exit: a client that
            // looks right after the error finds the engine's state settled.
            _failure = Encoding.UTF8.GetBytes($"F{exitCode}\t{message}");
            return false;
        }
        finally
        {
            if (consoleOther >= 0) close(consoleOther);
            if (consoleMine >= 0) close(consoleMine);
        }
        Current = _engine.Store.Update(_id, c =>
        {
            c.State.Running = true;
            c.State.Restarting = c.State.Paused = c.State.OOMKilled = false;
            c.State.Status = "running";
            c.State.Pid = _pid;
            c.State.ExitCode = 0;
            c.State.Error = "";
            c.State.StartedAt = DateTime.UtcNow;
            c.State.FinishedAt = default;
            if (c.Config.Healthcheck is { Test: { Count: > 0 } test } && test[0] != "NONE") c.State.Health = new Health();
        });
        Broadcast(Encoding.ASCII.GetBytes("S" + _pid));
        _engine.Events.Container(Current, "start");
        foreach (var s in _sessions) OfferInput(s);
        ScheduleFirstHealthcheck();
        return true;
    }

    private static string Message(Exception e) => e.Message.ReplaceLineEndings(" ");

    /// <summary>docker's codes: 127 command not found, 126 not executable, 125 anything else of the engine's.</summary>
    private static int ExitCodeOf(Exception e)
    {
        string m = e.Message;
        if (m.Contains("executable file not found", StringComparison.Ordinal) || m.Contains("no such file or directory", StringComparison.Ordinal)) return 127;
        if (m.Contains("permission denied", StringComparison.OrdinalIgnoreCase) || m.Contains("is a directory", StringComparison.Ordinal)) return 126;
        return 125;
    }

    /// <summary>The poll loop of one run: output, clients, healthchecks, until the container's init exits; its exit code.</summary>
    private unsafe int Follow()
    {
        var fds = new PollFd[8 + 64];
        var buffer = new byte[16 * 1024];
        // Trimmed once quiet (no start, check or client) for QuietBeforeTrim; busy again after each of those.
        bool trimmed = false;
        var busyAt = DateTime.UtcNow;
        while (true)
        {
            int n = 0;
            fds[n++] = new PollFd { fd = _pidFd, events = POLLIN };
            fds[n++] = new PollFd { fd = _stdoutFd >= 0 ? _stdoutFd : _masterFd, events = POLLIN };
            fds[n++] = new PollFd { fd = _stderrFd, events = POLLIN };
            fds[n++] = new PollFd { fd = _listenFd, events = POLLIN };
            int sessionsAt = n;
            foreach (var s in _sessions.Take(64)) fds[n++] = new PollFd { fd = s.Fd, events = POLLIN };
            int timeout = HealthcheckTimeoutMs();
            if (!trimmed)
            {
                int untilQuiet = (int)Math.Max(0, (busyAt + QuietBeforeTrim - DateTime.UtcNow).TotalMilliseconds);
                timeout = timeout < 0 ? untilQuiet : Math.Min(timeout, untilQuiet);
            }
            int ready;
            fixed (PollFd* p = fds) ready = poll(p, (nuint)n, timeout);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                Errno.Throw("poll");
            }
            if (ready == 0 && !trimmed && DateTime.UtcNow - busyAt >= QuietBeforeTrim)
            {
                trimmed = true;
                if (CanHandOver) HandOver();
                Trim();
            }
            if (ready == 0)
            {
                if (RunHealthcheckIfDue()) (trimmed, busyAt) = (false, DateTime.UtcNow);   // a check runs much code
                continue;
            }
            if ((fds[1].revents & (POLLIN | POLLHUP)) != 0 && !Pump(fds[1].fd, 0, buffer))
            {
                if (fds[1].fd == _stdoutFd) { close(_stdoutFd); _stdoutFd = -1; }
            }
            if (_stderrFd >= 0 && (fds[2].revents & (POLLIN | POLLHUP)) != 0 && !Pump(_stderrFd, 1, buffer))
            {
                close(_stderrFd);
                _stderrFd = -1;
            }
            if ((fds[3].revents & POLLIN) != 0) { Accept(); (trimmed, busyAt) = (false, DateTime.UtcNow); }
            for (int i = sessionsAt; i < n; i++)
            {
                if (fds[i].revents == 0) continue;
                var s = _sessions.FirstOrDefault(x => x.Fd == fds[i].fd);
                if (s is not null && !ReadSessionMessage(s)) { DropSession(s); (trimmed, busyAt) = (false, DateTime.UtcNow); }
            }
            if ((fds[0].revents & POLLIN) != 0)
            {
                int code = WaitForExit(_pid);
                // The last output: the init is gone, and with it (its pid namespace) every writer.
                if (_stdoutFd >= 0) while (Pump(_stdoutFd, 0, buffer)) { }
                if (_stderrFd >= 0) while (Pump(_stderrFd, 1, buffer)) { }
                if (_masterFd >= 0) DrainMaster(buffer);
                _log?.Flush(0);
                _log?.Flush(1);
                return code;
            }
        }
    }

    /// <summary>
    /// Once the container has been quiet for a moment after its start (or after a healthcheck or a
    /// client): the garbage of that work (configs, JSON metadata) is dead, and most code pages it ran
    /// will not run again soon. Both are given back, since the monitor's memory is paid once per
    /// running container for as long as it runs. Waiting for quiet keeps the pages that the last
    /// steps (the client's detach, the first output) touch from coming straight back.
    /// </summary>
    private void Trim()
    {
        _engine.Store.ReadJson.Drop();
        _engine.Store.WriteJson.Drop();
        _engine.Events.WriteJson.Drop();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        MappedPages.DropCleanFilePages();   // the monitor's only thread: nothing writes meanwhile
    }

    private static readonly TimeSpan QuietBeforeTrim = TimeSpan.FromSeconds(1);

    private unsafe void DrainMaster(byte[] buffer)
    {
        // The pty may hold output with no writer left: read what is there without blocking.
        int flags = fcntl(_masterFd, 3 /* F_GETFL */, 0);
        fcntl(_masterFd, 4 /* F_SETFL */, flags | O_NONBLOCK);
        while (Pump(_masterFd, 0, buffer)) { }
    }

    /// <summary>Reads one chunk of a stream into the log and the attached clients; false at its end.</summary>
    private unsafe bool Pump(int fd, int stream, byte[] buffer)
    {
        nint n;
        fixed (byte* p = buffer) n = read(fd, p, buffer.Length);
        if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) return true;
        if (n <= 0) return false;   // EOF, EAGAIN of a drained pty, or EIO of a pty whose slave closed
        var data = buffer.AsSpan(0, (int)n);
        _log?.Write(stream, data);
        for (int i = _sessions.Count - 1; i >= 0; i--)
        {
            var s = _sessions[i];
            int target = stream == 0 ? s.Out : s.Err >= 0 ? s.Err : -1;
            if (target < 0) continue;
            if (!TryWriteAll(target, data)) { close(s.Out); if (s.Err >= 0) close(s.Err); s.Out = s.Err = -1; }
        }
        return true;
    }

    /// <summary>Writes to a client's descriptor; false once it is gone (a closed pipe or terminal).</summary>
    private static bool TryWriteAll(int fd, ReadOnlySpan<byte> data)
    {
        try { WriteAll(fd, data, "write to a client"); return true; }
        catch (SyscallException) { return false; }
    }

    private unsafe void Accept()
    {
        int fd = accept4(_listenFd, null, null, SOCK_CLOEXEC);
        if (fd < 0) return;
        var s = new Session(fd);
        _sessions.Add(s);
        if (!ReadSessionMessage(s)) { DropSession(s); return; }
        if (_pid > 0) Send(s, Encoding.ASCII.GetBytes("S" + _pid));
    }

    /// <summary>Handles one message of a client; false when the client is gone or detached.</summary>
    private bool ReadSessionMessage(Session s)
    {
        Span<byte> buffer = stackalloc byte[256];
        Span<int> fds = stackalloc int[2];
        int n = ReceiveWithFds(s.Fd, buffer, fds, out int count);
        if (n <= 0) return false;
        switch ((char)buffer[0])
        {
            case 'A':
                int next = 0;
                for (int i = 1; i < n; i++)
                {
                    if (buffer[i] == 'o' && next < count) s.Out = fds[next++];
                    else if (buffer[i] == 'e' && next < count) s.Err = fds[next++];
                    else if (buffer[i] == 'i') s.WantsStdin = true;
                }
                for (; next < count; next++) close(fds[next]);
                if (_pid > 0) OfferInput(s);
                return true;
            case 'E':
                // docker's StdinOnce: the container's stdin closes when the attached client's does.
                if (Current.Config.StdinOnce && _stdinWriteFd >= 0) { close(_stdinWriteFd); _stdinWriteFd = -1; }
                return true;
            case 'D':
                return false;
            default:
                for (int i = 0; i < count; i++) close(fds[i]);
                return true;
        }
    }

    private void OfferInput(Session s)
    {
        if (!s.WantsStdin) return;
        int input = _masterFd >= 0 ? _masterFd : _stdinWriteFd;
        if (input >= 0) SendWithFds(s.Fd, "I"u8, [input]);
    }

    private void Send(Session s, ReadOnlySpan<byte> message)
    {
        if (!SendWithFds(s.Fd, message, [])) { /* the client is gone; poll will report it */ }
    }

    private void Broadcast(ReadOnlySpan<byte> message)
    {
        foreach (var s in _sessions) Send(s, message);
    }

    private void DropSession(Session s)
    {
        // docker's StdinOnce: the container's stdin ends with the session of the client that attached it.
        if (s.WantsStdin && Current.Config.StdinOnce && _stdinWriteFd >= 0) { close(_stdinWriteFd); _stdinWriteFd = -1; }
        if (s.Out >= 0) close(s.Out);
        if (s.Err >= 0) close(s.Err);
        if (s.Fd >= 0) close(s.Fd);
        s.Out = s.Err = s.Fd = -1;
        _sessions.Remove(s);
    }

    /// <summary>Waits between restarts while still accepting and serving clients.</summary>
    private unsafe void WaitServing(TimeSpan delay)
    {
        var until = DateTime.UtcNow + delay;
        while (DateTime.UtcNow < until)
        {
            var fd = new PollFd { fd = _listenFd, events = POLLIN };
            int ms = (int)Math.Max(1, (until - DateTime.UtcNow).TotalMilliseconds);
            if (poll(&fd, 1, ms) > 0) Accept();
        }
    }

    private void CloseRun()
    {
        foreach (int fd in new[] { _pidFd, _stdoutFd, _stderrFd, _masterFd, _stdinWriteFd })
            if (fd >= 0) close(fd);
        _pidFd = _stdoutFd = _stderrFd = _masterFd = _stdinWriteFd = -1;
        _pid = 0;
    }
}
