using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Process;

/// <summary>
/// process.scheduler, process.ioPriority and process.execCPUAffinity, set by the runtime on the
/// container's process by pid (they survive its execve), as runc applies them.
/// </summary>
public static class ProcessScheduling
{
    private static readonly Dictionary<string, uint> s_policies = new(StringComparer.Ordinal)
    {
        ["SCHED_OTHER"] = 0, ["SCHED_FIFO"] = 1, ["SCHED_RR"] = 2, ["SCHED_BATCH"] = 3, ["SCHED_ISO"] = 4,
        ["SCHED_IDLE"] = 5, ["SCHED_DEADLINE"] = 6,
    };

    private static readonly Dictionary<string, ulong> s_flags = new(StringComparer.Ordinal)
    {
        ["SCHED_FLAG_RESET_ON_FORK"] = 0x01, ["SCHED_FLAG_RECLAIM"] = 0x02, ["SCHED_FLAG_DL_OVERRUN"] = 0x04,
        ["SCHED_FLAG_KEEP_POLICY"] = 0x08, ["SCHED_FLAG_KEEP_PARAMS"] = 0x10, ["SCHED_FLAG_UTIL_CLAMP_MIN"] = 0x20,
        ["SCHED_FLAG_UTIL_CLAMP_MAX"] = 0x40,
    };

    private static readonly Dictionary<string, int> s_ioClasses = new(StringComparer.Ordinal)
    {
        ["IOPRIO_CLASS_RT"] = 1, ["IOPRIO_CLASS_BE"] = 2, ["IOPRIO_CLASS_IDLE"] = 3,
    };

    /// <summary>Before the process runs: scheduler, I/O priority and the initial CPU affinity.</summary>
    public static void ApplyInitial(int pid, Oci.Process p)
    {
        if (p.Scheduler is { } s)
        {
            if (!s_policies.TryGetValue(s.Policy, out uint policy)) throw new SpecException($"process.scheduler.policy: unknown policy \"{s.Policy}\"");
            ulong flags = 0;
            foreach (string f in s.Flags ?? [])
                flags |= s_flags.TryGetValue(f, out ulong bit) ? bit : throw new SpecException($"process.scheduler.flags: unknown flag \"{f}\"");
            Libc.SchedSetattr(pid, new Libc.sched_attr
            {
                sched_policy = policy, sched_flags = flags, sched_nice = s.Nice, sched_priority = (uint)s.Priority,
                sched_runtime = s.Runtime, sched_deadline = s.Deadline, sched_period = s.Period,
            });
        }
        if (p.IoPriority is { } io)
        {
            if (!s_ioClasses.TryGetValue(io.Class, out int cls)) throw new SpecException($"process.ioPriority.class: unknown class \"{io.Class}\"");
            if (io.Priority is < 0 or > 7) throw new SpecException($"process.ioPriority.priority: {io.Priority} is not in 0..7");
            Libc.IoprioSet(pid, (cls << Libc.IOPRIO_CLASS_SHIFT) | io.Priority);
        }
        if (p.ExecCpuAffinity?.Initial is { Length: > 0 } initial) SetAffinity(pid, initial, "initial");
    }

    /// <summary>Once the process runs its program: the final CPU affinity.</summary>
    public static void ApplyFinal(int pid, Oci.Process p)
    {
        if (p.ExecCpuAffinity?.Final is { Length: > 0 } final) SetAffinity(pid, final, "final");
    }

    private static void SetAffinity(int pid, string cpus, string which)
    {
        try { Libc.SetAffinity(pid, cpus); }
        catch (ArgumentException e) { throw new SpecException($"process.execCPUAffinity.{which}: {e.Message}"); }
    }

    /// <summary>personality(2) domain of linux.personality.</summary>
    public static int Personality(LinuxPersonality? p) => p?.Domain switch
    {
        null => -1,
        "LINUX" => 0,
        "LINUX32" => 8,
        var d => throw new SpecException($"linux.personality.domain: unknown domain \"{d}\""),
    };
}
