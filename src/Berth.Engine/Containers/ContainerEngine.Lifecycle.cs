using Berth.Engine.Model;
using Berth.Engine.Volumes;
using Berth.Images.Snapshots;
using Berth.Linux;
using Berth.Runtime;

namespace Berth.Engine.Containers;

// stop, kill, remove, wait, pause, rename: what the CLI does to a container its monitor runs.
public sealed partial class ContainerEngine
{
    private static bool IsActive(Container c) => c.State.Running || c.State.Restarting || c.State.Paused;

    /// <summary>docker stop: the stop signal, then SIGKILL after the timeout; the restart policy does not bring it back.</summary>
    public void Stop(string reference, int? timeoutSeconds)
    {
        var c = Get(reference);
        if (!IsActive(c)) return;
        c = Store.Update(c.Id, x => x.HasBeenManuallyStopped = true);
        int? monitor = MonitorAlive(c.Id);
        if (c.State.Paused) Resume(c.Id);
        int timeout = timeoutSeconds ?? c.Config.StopTimeout ?? 10;
        int signal = string.IsNullOrEmpty(c.Config.StopSignal) ? Libc.SIGTERM : Libc.ParseSignal(c.Config.StopSignal);
        if (c.State.Running && timeout != 0) SignalInit(c, signal);
        if (c.State.Running && !WaitExit(c.State.Pid, timeout < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(timeout)))
        {
            SignalInit(c, Libc.SIGKILL);
            WaitExit(c.State.Pid, TimeSpan.FromSeconds(10));
        }
        if (monitor is { } m) WaitExit(m, TimeSpan.FromSeconds(10));
        using (Store.Lock(c.Id)) Refresh(Store.Load(c.Id));
        Events.Container(c, "stop");
    }

    /// <summary>docker kill: a signal to the container's init.</summary>
    public void Kill(string reference, int signal)
    {
        var c = Get(reference);
        if (!c.State.Running && !c.State.Paused) throw new ContainerException($"cannot kill container: {reference}: container {c.Id} is not running");
        if (signal is Libc.SIGKILL or Libc.SIGTERM) Store.Update(c.Id, x => x.HasBeenManuallyStopped = true);
        SignalInit(c, signal);
        Events.Container(c, "kill", new() { ["signal"] = signal.ToString() });
        if (signal == Libc.SIGKILL)
        {
            WaitExit(c.State.Pid, TimeSpan.FromSeconds(10));
            if (MonitorAlive(c.Id) is { } m) WaitExit(m, TimeSpan.FromSeconds(10));
        }
    }

    private void SignalInit(Container c, int signal)
    {
        try { Runtime().Kill(c.Id, signal, all: false); }
        catch (RuntimeException) { }   // already gone
        catch (SyscallException) { }
    }

    /// <summary>Waits for a process (not a child) to exit, through a pidfd; false on timeout.</summary>
    public static unsafe bool WaitExit(int pid, TimeSpan timeout)
    {
        if (pid <= 0) return true;
        int fd = Libc.PidfdOpen(pid);
        if (fd < 0) return true;   // ESRCH: gone already
        try
        {
            var p = new Libc.PollFd { fd = fd, events = Libc.POLLIN };
            var until = timeout == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + timeout;
            while (true)
            {
                int ms = until == DateTime.MaxValue ? -1 : (int)Math.Max(0, (until - DateTime.UtcNow).TotalMilliseconds);
                int r = Libc.poll(&p, 1, ms);
                if (r > 0) return true;
                if (r == 0) return false;
            }
        }
        finally { Libc.close(fd); }
    }

    /// <summary>docker rm: a running container only with force (killed first); -v removes its anonymous volumes.</summary>
    public void Remove(string reference, bool force, bool removeVolumes)
    {
        var c = Get(reference);
        if (IsActive(c))
        {
            if (!force)
            {
                string what = c.State.Paused ? "paused" : c.State.Restarting ? "restarting" : "running";
                throw new ContainerException($"cannot remove container \"{c.Name}\": container is {what}: stop the container before removing or force remove");
            }
            Store.Update(c.Id, x => x.HasBeenManuallyStopped = true);
            int? monitor = MonitorAlive(c.Id);
            if (c.State.Paused) Resume(c.Id);
            SignalInit(c, Libc.SIGKILL);
            WaitExit(c.State.Pid, TimeSpan.FromSeconds(10));
            if (monitor is { } m && !WaitExit(m, TimeSpan.FromSeconds(10))) Libc.kill(m, Libc.SIGKILL);
            if (Store.TryLoad(c.Id) is null) return;   // --rm: its monitor removed it
        }
        RemoveStopped(c.Id, removeVolumes);
    }

    /// <summary>Removes a stopped container and everything it had: mounts, runtime state, cgroup, files, name, image hold.</summary>
    public void RemoveStopped(string id, bool removeVolumes, bool deleteNow = true)
    {
        Container c;
        using (Store.Lock(id))
        {
            c = Store.Load(id);
            if (MonitorAlive(id) is { } m && m != Environment.ProcessId && IsActive(c))
                throw new ContainerException($"cannot remove container \"{c.Name}\": container is running");
            c.State.Status = "removing";
            Store.Save(c);
            ReleaseRuntime(id);
        }
        Store.ReleaseName(c.PlainName, id);
        Storage.Holds.Remove(HoldName(id));
        // Gone at once by a rename; the files are deleted after, off the path the user waits on.
        string trash = Store.Discard(id);
        Events.Container(c, "destroy");
        if (deleteNow) SnapshotStore.RemoveTree(trash);
        if (removeVolumes)
        {
            foreach (var m in c.Mounts.Where(m => m.Type == "volume" && m.Name is not null))
            {
                var volume = Volumes.TryGet(m.Name!);
                if (volume is null || !volume.Labels.ContainsKey(VolumeStore.AnonymousLabel)) continue;
                if (VolumeUsers(m.Name!).Count == 0) Volumes.Remove(m.Name!, []);
            }
        }
    }

    /// <summary>Names of the containers that mount a volume.</summary>
    public List<string> VolumeUsers(string volume) =>
        List().Where(c => c.Mounts.Any(m => m.Type == "volume" && m.Name == volume)).Select(c => c.PlainName).ToList();

    /// <summary>docker wait: blocks until the container is not running (or, for "removed", gone); its exit code.</summary>
    public int Wait(string reference, string condition = "not-running")
    {
        string id = Store.Resolve(reference);
        var c = Get(id);
        if (condition == "next-exit" || IsActive(c) || MonitorAlive(id) is not null)
        {
            while (true)
            {
                int? monitor = MonitorAlive(id);
                c = Store.TryLoad(id) ?? c;
                if (condition != "next-exit" && !IsActive(c) && monitor is null) break;
                if (monitor is { } m)
                {
                    // One run ends when the init exits; the monitor may go on (restart policy).
                    if (c.State.Running && c.State.Pid > 0) WaitExit(c.State.Pid, TimeSpan.FromSeconds(1));
                    else WaitExit(m, TimeSpan.FromMilliseconds(50));
                    var after = Store.TryLoad(id);
                    if (after is null) break;
                    if (!after.State.Running && !after.State.Restarting) { c = after; if (condition == "next-exit" || MonitorAlive(id) is null) break; }
                    if (condition == "next-exit" && after.State.FinishedAt > c.State.StartedAt && !after.State.Running) { c = after; break; }
                }
                else
                {
                    using (Store.Lock(id)) c = Refresh(Store.Load(id));
                    break;
                }
            }
        }
        if (condition == "removed")
            while (Store.TryLoad(id) is not null) Thread.Sleep(20);
        return c.State.ExitCode;
    }

    public void Pause(string reference)
    {
        var c = Get(reference);
        if (!c.State.Running) throw new ContainerException($"container {c.Id} is not running");
        if (c.State.Paused) throw new ContainerException($"container {c.Id} is already paused");
        Runtime().Pause(c.Id);
        Store.Update(c.Id, x => { x.State.Paused = true; x.State.Status = "paused"; });
        Events.Container(c, "pause");
    }

    public void Unpause(string reference)
    {
        var c = Get(reference);
        if (!c.State.Paused) throw new ContainerException($"container {c.Id} is not paused");
        Resume(c.Id);
        Events.Container(c, "unpause");
    }

    private void Resume(string id)
    {
        Runtime().Resume(id);
        Store.Update(id, x => { x.State.Paused = false; if (x.State.Running) x.State.Status = "running"; });
    }

    public void Rename(string reference, string newName)
    {
        var c = Get(reference);
        newName = newName.TrimStart('/');
        if (!ContainerStore.IsValidName(newName)) throw new ContainerException($"Invalid container name ({newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (newName == c.PlainName) throw new ContainerException($"Renaming a container with the same name as its current name");
        if (!Store.ClaimName(newName, c.Id))
            throw new ContainerException($"Conflict. The container name \"/{newName}\" is already in use by container \"{Store.IdOfName(newName)}\". You have to remove (or rename) that container to be able to reuse that name.");
        string old = c.PlainName;
        var renamed = Store.Update(c.Id, x => x.Name = "/" + newName);
        Store.ReleaseName(old, c.Id);
        Events.Container(renamed, "rename", new() { ["oldName"] = "/" + old });
    }
}
