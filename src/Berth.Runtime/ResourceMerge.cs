using Berth.Oci;

namespace Berth.Runtime;

/// <summary>Overlays the fields an `update` sets on the resources a container has.</summary>
public static class ResourceMerge
{
    public static LinuxResources Merge(LinuxResources? current, LinuxResources change)
    {
        var r = current ?? new LinuxResources();
        if (change.Memory is { } m)
        {
            r.Memory ??= new LinuxMemory();
            r.Memory.Limit = m.Limit ?? r.Memory.Limit;
            r.Memory.Reservation = m.Reservation ?? r.Memory.Reservation;
            r.Memory.Swap = m.Swap ?? r.Memory.Swap;
            r.Memory.Swappiness = m.Swappiness ?? r.Memory.Swappiness;
            r.Memory.DisableOomKiller = m.DisableOomKiller ?? r.Memory.DisableOomKiller;
        }
        if (change.Cpu is { } c)
        {
            r.Cpu ??= new LinuxCpu();
            r.Cpu.Shares = c.Shares ?? r.Cpu.Shares;
            r.Cpu.Quota = c.Quota ?? r.Cpu.Quota;
            r.Cpu.Period = c.Period ?? r.Cpu.Period;
            r.Cpu.Burst = c.Burst ?? r.Cpu.Burst;
            r.Cpu.RealtimeRuntime = c.RealtimeRuntime ?? r.Cpu.RealtimeRuntime;
            r.Cpu.RealtimePeriod = c.RealtimePeriod ?? r.Cpu.RealtimePeriod;
            r.Cpu.Cpus = c.Cpus ?? r.Cpu.Cpus;
            r.Cpu.Mems = c.Mems ?? r.Cpu.Mems;
            r.Cpu.Idle = c.Idle ?? r.Cpu.Idle;
        }
        if (change.Pids is { } p) r.Pids = p;
        if (change.BlockIo is { } b)
        {
            r.BlockIo ??= new LinuxBlockIo();
            r.BlockIo.Weight = b.Weight ?? r.BlockIo.Weight;
            r.BlockIo.LeafWeight = b.LeafWeight ?? r.BlockIo.LeafWeight;
            r.BlockIo.WeightDevice = b.WeightDevice ?? r.BlockIo.WeightDevice;
            r.BlockIo.ThrottleReadBpsDevice = b.ThrottleReadBpsDevice ?? r.BlockIo.ThrottleReadBpsDevice;
            r.BlockIo.ThrottleWriteBpsDevice = b.ThrottleWriteBpsDevice ?? r.BlockIo.ThrottleWriteBpsDevice;
            r.BlockIo.ThrottleReadIopsDevice = b.ThrottleReadIopsDevice ?? r.BlockIo.ThrottleReadIopsDevice;
            r.BlockIo.ThrottleWriteIopsDevice = b.ThrottleWriteIopsDevice ?? r.BlockIo.ThrottleWriteIopsDevice;
        }
        if (change.HugepageLimits is { } h) r.HugepageLimits = h;
        if (change.Unified is { } u)
        {
            r.Unified ??= [];
            foreach (var (k, v) in u) r.Unified[k] = v;
        }
        return r;
    }
}
