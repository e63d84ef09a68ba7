using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// The cgroup of one container, in every hierarchy the host has (v1 controllers, the unified v2
/// hierarchy, or both on a hybrid host). The cgroupfs driver; a systemd driver would be another
/// implementation of this contract.
/// <para><b>Lifecycle.</b> <see cref="Create"/> (once, before anything else) → <see cref="Apply"/> the
/// config's resources → <see cref="AddProcess"/> the container's init → any number of
/// <see cref="Update"/>, <see cref="Freeze"/>/<see cref="Thaw"/>, <see cref="Stats"/> →
/// <see cref="KillAll"/> → <see cref="Destroy"/>. A manager can be re-created in a later process from
/// the same <see cref="Path"/> (e.g. for <c>berth runtime delete</c>) and used without <see cref="Create"/>.</para>
/// <para><b>Ownership.</b> Berth writes only into cgroups it created: <see cref="Path"/> itself and, for
/// paths under <c>/berth</c>, the parents down from <c>/berth</c>. It never writes a hierarchy root's
/// files (not even cgroup.subtree_control), never a cgroup outside <c>/berth</c> that existed before
/// (<see cref="Create"/> refuses such a path), and <see cref="Destroy"/> never removes a cgroup it did
/// not create, nor <c>/berth</c> itself, the engine's root, which stays.</para>
/// <para><b>Errors.</b> Invalid or unsupported resource values raise <see cref="SpecException"/> naming the
/// OCI field (before anything is written where the mapping can tell); values the kernel refuses raise
/// <see cref="Berth.Linux.SyscallException"/> with errno, the field, the file and the value. A resource
/// for a controller the host does not provide is an error, not a silent no-op; fields that are accepted
/// but have no effect (kernel memory, v1-only knobs on v2) are listed in <see cref="Notes"/>.</para>
/// <para><b>Threading.</b> An instance is not thread-safe; separate instances for separate containers are independent.</para>
/// </summary>
public interface ICgroupManager
{
    /// <summary>The cgroup path below each hierarchy root, e.g. "/berth/&lt;id&gt;" (see <see cref="CgroupPath.Resolve"/>).</summary>
    string Path { get; }

    /// <summary>The directories of this cgroup, one per hierarchy (v1: controller → directory; v2: "" → directory).</summary>
    IReadOnlyDictionary<string, string> Directories { get; }

    /// <summary>Fields of the last <see cref="Apply"/>/<see cref="Update"/> that were accepted but ignored.</summary>
    IReadOnlyList<string> Notes { get; }

    /// <summary>mkdir -p of the cgroup in every hierarchy. v1: cpuset.cpus/mems are copied down from the
    /// parent into Berth's new cgroups (a v1 cpuset with empty cpus cannot hold a process). v2: controllers
    /// available to Berth's own parents (/berth and below) are enabled in their cgroup.subtree_control.</summary>
    void Create();

    /// <summary>Writes the resources of the container's config (fields that are present only).</summary>
    void Apply(LinuxResources resources);

    /// <summary>Moves a process (all its threads) into the cgroup in every hierarchy (cgroup.procs).</summary>
    void AddProcess(int pid);

    /// <summary>Changes the fields present in <paramref name="resources"/>, leaving the others as they are
    /// (<c>runtime update</c>). Limit pairs whose order matters (memory/swap, period/quota) are handled.</summary>
    void Update(LinuxResources resources);

    /// <summary>Freezes every process of the cgroup and returns once the kernel reports it frozen.</summary>
    void Freeze();

    /// <summary>Thaws the cgroup and returns once the kernel reports it thawed.</summary>
    void Thaw();

    bool IsFrozen { get; }

    /// <summary>The processes in the cgroup and its descendant cgroups.</summary>
    IReadOnlyList<int> GetPids();

    /// <summary>Usage and limits, shaped like the data of runc's <c>events --stats</c>.</summary>
    CgroupStats Stats();

    /// <summary>Sends <paramref name="signal"/> to every process in the cgroup (and its descendants), with the
    /// cgroup frozen meanwhile so no process escapes by forking; does not wait for them to exit.</summary>
    void KillAll(int signal);

    /// <summary>Removes the cgroup (and cgroups the container made inside it) in every hierarchy, then
    /// the empty parents Berth created (/berth included once nothing else is in it). Retries briefly while
    /// the kernel still reports EBUSY (processes that are exiting after <see cref="KillAll"/>). A cgroup
    /// that is already gone is not an error. After <see cref="Create"/> in this instance the leaf is removed
    /// only if Create made it or it is under /berth (so cleaning up after a refused Create removes nothing
    /// foreign); a re-opened manager removes it if it was opened with ownsLeaf.</summary>
    void Destroy();

    /// <summary>How many processes of the cgroup the OOM killer killed (v1 memory.oom_control oom_kill,
    /// v2 memory.events oom_kill); 0 where the kernel does not count.</summary>
    ulong OomKilledCount();
}

/// <summary>Chooses the driver for the host's layout.</summary>
public static class CgroupManager
{
    /// <param name="path">a resolved path (<see cref="CgroupPath.Resolve"/>).</param>
    /// <param name="ownsLeaf">whether <see cref="ICgroupManager.Destroy"/> may remove the cgroup at
    /// <paramref name="path"/> when this instance did not create it (a manager re-opened by <c>delete</c>).</param>
    public static ICgroupManager For(CgroupLayout layout, string path, bool ownsLeaf = true) => layout.Kind switch
    {
        CgroupKind.V1 => new CgroupV1Manager(layout, path, ownsLeaf),
        CgroupKind.V2 => new CgroupV2Manager(layout, path, ownsLeaf),
        _ => new CgroupHybridManager(layout, path, ownsLeaf),
    };
}
