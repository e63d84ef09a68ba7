using Berth.Engine.Model;
using Berth.Linux;
using Berth.Runtime;
using Berth.Runtime.Process;

namespace Berth.Engine.Containers;

/// <summary>
/// --userns=auto (podman's name): each container gets its own 65536 host ids, so its root is an
/// unprivileged user of the host. The image layers stay as they are on disk: the container sees
/// them through idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), stacked under its overlay; what it
/// writes lands in its upper dir with its own host ids.
/// </summary>
public static class UserNamespaces
{
    public const uint RangeSize = 65536;
    // Far above the ids that useradd and /etc/subuid hand out (100000 and up for the first users).
    public const uint FirstHostId = 200_000_000;

    /// <summary>The lowest range no other container of the store holds.</summary>
    public static IdRange Allocate(ContainerStore store)
    {
        var used = new HashSet<uint>();
        foreach (var id in store.Ids())
            if (store.TryLoad(id)?.UsernsRange is { } r) used.Add(r.HostId);
        uint hostId = FirstHostId;
        while (used.Contains(hostId)) hostId += RangeSize;
        return new IdRange { HostId = hostId, Size = RangeSize };
    }

    /// <summary>
    /// A user namespace with the range's mapping, as a descriptor: a child is spawned into a new
    /// user namespace and stopped before it runs anything, its maps are written, its namespace
    /// opened, and the child killed.
    /// </summary>
    public static int Open(IdRange range)
    {
        var (goRead, goWrite) = Libc.Pipe();
        SpawnedChild? child = null;
        try
        {
            child = Spawner.Spawn(new SpawnOptions
            {
                Path = ContainerRuntime.SelfExe, Args = ["berth-userns"], Env = [],
                CloneFlags = Libc.CLONE_NEWUSER, GoFd = goRead,
            });
            string map = $"0 {range.HostId} {range.Size}\n";
            File.WriteAllText($"/proc/{child.Pid}/uid_map", map);
            File.WriteAllText($"/proc/{child.Pid}/setgroups", "deny");
            File.WriteAllText($"/proc/{child.Pid}/gid_map", map);
            int fd = Libc.open($"/proc/{child.Pid}/ns/user", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0) Errno.Throw("open user namespace");
            return fd;
        }
        finally
        {
            if (child is not null)
            {
                Libc.kill(child.Pid, Libc.SIGKILL);
                try { Libc.WaitForExit(child.Pid); } catch (SyscallException) { }
                child.Dispose();
            }
            Libc.close(goRead);
            Libc.close(goWrite);
        }
    }

    /// <summary>Mounts an idmapped view of <paramref name="source"/> at <paramref name="target"/>.</summary>
    public static void MountIdmapped(string source, string target, int usernsFd)
    {
        int tree = Libc.OpenTreeClone(source, recursive: false);
        try
        {
            Libc.MountSetIdmap(tree, usernsFd, source);
            Libc.MoveMount(tree, target);
        }
        finally { Libc.close(tree); }
    }
}
