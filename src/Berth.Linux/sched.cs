using System.Runtime.InteropServices;

namespace Berth.Linux;

public static partial class Libc
{
    public const ulong CLONE_NEWTIME = 0x00000080, CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000,
        CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_FS = 0x00000200;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);
}

// Scheduling of another process (by pid): policy and attributes, I/O priority, CPU affinity.
public static partial class Libc
{
    private const long SYS_ioprio_set = 251, SYS_sched_setattr = 314;
    public const int IOPRIO_WHO_PROCESS = 1, IOPRIO_CLASS_SHIFT = 13;

    [StructLayout(LayoutKind.Sequential)]
    public struct sched_attr
    {
        public uint size, sched_policy;
        public ulong sched_flags;
        public int sched_nice;
        public uint sched_priority;
        public ulong sched_runtime, sched_deadline, sched_period;
        public uint sched_util_min, sched_util_max;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static unsafe partial long syscall_sched_setattr(long nr, int pid, sched_attr* attr, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_ioprio_set(long nr, int which, int who, int ioprio);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nuint size, ulong* mask);

    public static unsafe void SchedSetattr(int pid, sched_attr attr)
    {
        attr.size = (uint)sizeof(sched_attr);
        Errno.Check(syscall_sched_setattr(SYS_sched_setattr, pid, &attr, 0), $"sched_setattr {pid}");
    }

    public static void IoprioSet(int pid, int ioprio)
        => Errno.Check(syscall_ioprio_set(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, ioprio), $"ioprio_set {pid}");

    /// <summary>Sets the CPUs of a process from a list like "0-3,7".</summary>
    public static unsafe void SetAffinity(int pid, string cpus)
    {
        ulong* mask = stackalloc ulong[16]; // 1024 CPUs
        new Span<ulong>(mask, 16).Clear();
        foreach (string part in cpus.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] range = part.Split('-');
            if (range.Length > 2 || !int.TryParse(range[0], out int lo) || !int.TryParse(range[^1], out int hi) || lo < 0 || hi < lo || hi >= 1024)
                throw new ArgumentException($"invalid CPU list \"{cpus}\"");
            for (int c = lo; c <= hi; c++) mask[c / 64] |= 1UL << (c % 64);
        }
        Errno.Check(sched_setaffinity(pid, 16 * sizeof(ulong), mask), $"sched_setaffinity {pid} {cpus}");
    }
}
