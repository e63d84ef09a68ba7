using System.Runtime.InteropServices;
using System.Text;
using Berth.Engine.Containers;
using Berth.Engine.Model;
using Berth.Runtime;
using static Berth.Linux.Libc;

namespace Berth.Engine.Monitor;

// Healthchecks: docker's rules. A check runs every Interval (30 s by default; StartInterval during
// the start period), is killed after Timeout (30 s), and Retries (3) failures in a row make the
// container unhealthy; failures in the start period do not count. The last 5 results are kept.
public sealed partial class ContainerMonitor
{
    private const long DefaultInterval = 30_000_000_000, DefaultTimeout = 30_000_000_000;
    private const int DefaultRetries = 3, KeptResults = 5, MaxOutput = 4096;
    private DateTime _nextCheck = DateTime.MaxValue;

    private HealthConfig? ActiveHealthcheck =>
        Current.Config.Healthcheck is { Test: { Count: > 0 } test } h && test[0] is "CMD" or "CMD-SHELL" ? h : null;

    private void ScheduleFirstHealthcheck()
    {
        var h = ActiveHealthcheck;
        _nextCheck = h is null ? DateTime.MaxValue : DateTime.UtcNow + FirstDelay(h);
    }

    private static TimeSpan FirstDelay(HealthConfig h) =>
        TimeSpan.FromTicks((h.StartPeriod > 0 && h.StartInterval > 0 ? h.StartInterval : h.Interval > 0 ? h.Interval : DefaultInterval) / 100);

    private int HealthcheckTimeoutMs()
    {
        if (_nextCheck == DateTime.MaxValue) return -1;
        return (int)Math.Clamp((_nextCheck - DateTime.UtcNow).TotalMilliseconds, 0, int.MaxValue);
    }

    /// <summary>Runs the healthcheck if it is due; whether it ran.</summary>
    private bool RunHealthcheckIfDue()
    {
        if (DateTime.UtcNow < _nextCheck) return false;
        var h = ActiveHealthcheck;
        if (h is null) return false;
        var start = DateTime.UtcNow;
        var (code, output) = RunCheck(h);
        var result = new HealthcheckResult { Start = start, End = DateTime.UtcNow, ExitCode = code, Output = output };
        bool inStartPeriod = h.StartPeriod > 0 && start - Current.State.StartedAt < TimeSpan.FromTicks(h.StartPeriod / 100);
        string before = Current.State.Health?.Status ?? "starting";
        Current = _engine.Store.Update(_id, c =>
        {
            var health = c.State.Health ??= new Health();
            health.Log.Add(result);
            if (health.Log.Count > KeptResults) health.Log.RemoveRange(0, health.Log.Count - KeptResults);
            if (code == 0)
            {
                health.Status = "healthy";
                health.FailingStreak = 0;
            }
            else if (!inStartPeriod)
            {
                health.FailingStreak++;
                if (health.FailingStreak >= (h.Retries > 0 ? h.Retries : DefaultRetries)) health.Status = "unhealthy";
            }
        });
        if (Current.State.Health is { } after && after.Status != before)
            _engine.Events.Container(Current, "health_status: " + after.Status);
        long next = inStartPeriod && h.StartInterval > 0 ? h.StartInterval : h.Interval > 0 ? h.Interval : DefaultInterval;
        _nextCheck = DateTime.UtcNow + TimeSpan.FromTicks(next / 100);
        return true;
    }

    /// <summary>Runs the check inside the container (its namespaces, cgroup, user and limits), with its timeout.</summary>
    private unsafe (int Code, string Output) RunCheck(HealthConfig h)
    {
        var test = h.Test!;
        List<string> args = test[0] == "CMD-SHELL" ? ["/bin/sh", "-c", string.Join(' ', test.Skip(1))] : test.Skip(1).ToList();
        var (outR, outW) = Pipe();
        int devNull = open("/dev/null", O_RDWR | O_CLOEXEC);
        int pid;
        try
        {
            dup2(devNull, 0);
            dup2(outW, 1);
            dup2(outW, 2);
            try { pid = _runtime.Exec(new ExecOptions { Id = _id, Process = ExecProcesses.ForCheck(_engine, Current, args) }); }
            finally
            {
                dup2(devNull, 0);
                dup2(devNull, 1);
                dup2(devNull, 2);
                close(outW);
                close(devNull);
            }
        }
        catch (Exception e)
        {
            close(outR);
            return (ExitCodeOf(e) == 125 ? -1 : ExitCodeOf(e), e.Message);
        }
        int pidFd = PidfdOpen(pid);
        var deadline = DateTime.UtcNow + TimeSpan.FromTicks((h.Timeout > 0 ? h.Timeout : DefaultTimeout) / 100);
        var output = new MemoryStream();
        var buffer = new byte[4096];
        bool timedOut = false;
        var fds = stackalloc PollFd[2];
        bool outOpen = true;
        while (true)
        {
            fds[0] = new PollFd { fd = pidFd, events = POLLIN };
            fds[1] = new PollFd { fd = outOpen ? outR : -1, events = POLLIN };
            int ms = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
            int ready = poll(fds, 2, ms);
            if (ready < 0 && Marshal.GetLastPInvokeError() == Berth.Linux.Errno.EINTR) continue;
            if (ready == 0) { timedOut = true; kill(pid, SIGKILL); }
            if (outOpen && (fds[1].revents & (POLLIN | POLLHUP)) != 0)
            {
                nint n;
                fixed (byte* p = buffer) n = read(outR, p, buffer.Length);
                if (n <= 0) outOpen = false;
                else if (output.Length < MaxOutput) output.Write(buffer, 0, (int)Math.Min(n, MaxOutput - output.Length));
            }
            if (timedOut || (fds[0].revents & POLLIN) != 0) break;
        }
        int code = WaitForExit(pid);
        close(pidFd);
        close(outR);
        if (timedOut) return (-1, $"Health check exceeded timeout ({TimeSpan.FromTicks((h.Timeout > 0 ? h.Timeout : DefaultTimeout) / 100).TotalSeconds}s)");
        return (code, Encoding.UTF8.GetString(output.ToArray()));
    }
}
