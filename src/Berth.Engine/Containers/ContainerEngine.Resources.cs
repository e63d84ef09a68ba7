using Berth.Engine.Model;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime;
using Berth.Runtime.Cgroups;

namespace Berth.Engine.Containers;

/// <summary>
/// One read of a container's cgroup with the host's CPU time of the same moment: what docker's
/// stats stream carries, reduced to what `docker stats` shows. A container that is not running
/// reads as zeros.
/// </summary>
public sealed class ContainerStats
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public bool Running { get; init; }
    /// <summary>The container's CPU time, nanoseconds.</summary>
    public ulong CpuTotal { get; init; }
    /// <summary>The host's CPU time (all CPUs, idle included), nanoseconds: /proc/stat as docker reads it.</summary>
    public ulong SystemCpu { get; init; }
    public uint OnlineCpus { get; init; }
    /// <summary>Memory in use without the inactive file cache, as docker's CLI counts it.</summary>
    public ulong MemoryUsage { get; init; }
    /// <summary>The cgroup's limit, or the host's memory when that is smaller (no limit), as docker's daemon reports it.</summary>
    public ulong MemoryLimit { get; init; }
    public ulong BlockRead { get; init; }
    public ulong BlockWrite { get; init; }
    public ulong Pids { get; init; }
    /// <summary>Bytes received and sent, or null when the container uses the host's network (not its own to count).</summary>
    public (ulong Rx, ulong Tx)? Network { get; init; }

    /// <summary>docker's CPU %: the container's share of the host's CPU time between two reads, times the CPUs online (100% is one CPU).</summary>
    public static double CpuPercent(ContainerStats? previous, ContainerStats now)
    {
        if (previous is null || !now.Running) return 0;
        double cpu = (double)now.CpuTotal - previous.CpuTotal;
        double system = (double)now.SystemCpu - previous.SystemCpu;
        return cpu > 0 && system > 0 ? cpu / system * now.OnlineCpus * 100 : 0;
    }

    public double MemoryPercent => MemoryLimit > 0 ? (double)MemoryUsage / MemoryLimit * 100 : 0;
}

/// <summary>docker update's changes; null leaves a setting as it is.</summary>
public sealed class ResourceUpdate
{
    public long? Memory { get; init; }
    public long? MemorySwap { get; init; }
    public long? MemoryReservation { get; init; }
    public long? NanoCpus { get; init; }
    public long? CpuShares { get; init; }
    public long? CpuPeriod { get; init; }
    public long? CpuQuota { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public long? PidsLimit { get; init; }
    public ushort? BlkioWeight { get; init; }
    public RestartPolicy? RestartPolicy { get; init; }

    public bool IsEmpty =>
        Memory is null && MemorySwap is null && MemoryReservation is null && NanoCpus is null && CpuShares is null
        && CpuPeriod is null && CpuQuota is null && CpusetCpus is null && CpusetMems is null && PidsLimit is null
        && BlkioWeight is null && RestartPolicy is null;
}

// stats and update: a container's cgroup read and changed.
public sealed partial class ContainerEngine
{
    private const long MinimumMemory = 6 * 1024 * 1024;

    /// <summary>Reads a container's cgroup now (zeros when it is not running).</summary>
    public ContainerStats Stats(Container c)
    {
        var (systemCpu, onlineCpus) = HostCpu();
        (ulong, ulong)? network = c.HostConfig.NetworkMode == "none" ? (0, 0) : null;
        if (!c.State.Running || c.State.Restarting)
            return new ContainerStats { Id = c.Id, Name = c.PlainName, SystemCpu = systemCpu, OnlineCpus = onlineCpus, Network = network };
        CgroupStats s;
        try { s = Runtime().Stats(c.Id, out _); }
        catch (Exception e) when (e is RuntimeException or SyscallException or IOException)
        {
            // Stopped between the state's read and the cgroup's.
            return new ContainerStats { Id = c.Id, Name = c.PlainName, SystemCpu = systemCpu, OnlineCpus = onlineCpus, Network = network };
        }
        var memory = s.Memory;
        ulong usage = memory.Usage.Usage;
        var raw = memory.Raw ?? [];
        // v1 names the hierarchical count total_inactive_file, v2 inactive_file.
        if ((raw.TryGetValue("total_inactive_file", out ulong inactive) || raw.TryGetValue("inactive_file", out inactive)) && inactive < usage)
            usage -= inactive;
        ulong limit = memory.Usage.Limit;
        ulong machine = MachineMemory();
        if (limit == 0 || (machine > 0 && limit > machine)) limit = machine;
        ulong read = 0, write = 0;
        foreach (var entry in s.Blkio.IoServiceBytesRecursive ?? [])
        {
            if (entry.Op.Equals("read", StringComparison.OrdinalIgnoreCase)) read += entry.Value;
            else if (entry.Op.Equals("write", StringComparison.OrdinalIgnoreCase)) write += entry.Value;
        }
        return new ContainerStats
        {
            Id = c.Id, Name = c.PlainName, Running = true, CpuTotal = s.Cpu.Usage.Total, SystemCpu = systemCpu, OnlineCpus = onlineCpus,
            MemoryUsage = usage, MemoryLimit = limit, BlockRead = read, BlockWrite = write, Pids = s.Pids.Current, Network = network,
        };
    }

    /// <summary>The first line of /proc/stat (user … softirq, in USER_HZ ticks) in nanoseconds, and the number of cpuN lines.</summary>
    private static (ulong SystemCpu, uint OnlineCpus) HostCpu()
    {
        ulong ticks = 0;
        uint cpus = 0;
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (int i = 1; i < Math.Min(fields.Length, 8); i++) ticks += ulong.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal)) cpus++;
            else break;
        }
        return (ticks * (1_000_000_000 / CgroupStatsParser.ClockTicks), cpus);
    }

    /// <summary>MemTotal of /proc/meminfo, in bytes.</summary>
    public static ulong MachineMemory()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return ulong.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    /// <summary>
    /// docker update: checks the values as docker's daemon does, merges them into HostConfig (with its
    /// refusals of conflicting settings), applies the merged resources to the live cgroup of a
    /// running container and to its bundle (so a restart by the monitor keeps them), then saves.
    /// Nothing is saved when the cgroup refuses a value.
    /// </summary>
    public void Update(string reference, ResourceUpdate update)
    {
        CheckUpdate(update);
        string id = Get(reference).Id;
        using (Store.Lock(id))
        {
            var c = Refresh(Store.Load(id));
            var host = c.HostConfig;
            Merge(host, update);
            var resources = SpecBuilder.Resources(host);
            resources.Devices = null;   // update changes no device rule
            // A limit set back to "none": the cgroup has to be told, the mapping of an unset value says nothing.
            if (update.PidsLimit is <= 0) resources.Pids = new LinuxPids { Limit = -1 };
            if ((c.State.Running || c.State.Paused) && !c.State.Restarting)
            {
                try { Runtime().Update(id, resources); }
                catch (Exception e) when (e is RuntimeException or SyscallException or SpecException or IOException)
                {
                    throw new ContainerException($"Cannot update container {id}: {e.Message.ReplaceLineEndings(" ")}", 1);
                }
            }
            string bundleConfig = Path.Combine(Store.RunDirOf(id), "config.json");
            if (File.Exists(bundleConfig))
            {
                var spec = OciJson.ParseSpec(File.ReadAllBytes(bundleConfig));
                spec.Linux ??= new Oci.Linux();
                var devices = spec.Linux.Resources?.Devices;
                spec.Linux.Resources = SpecBuilder.Resources(host);
                spec.Linux.Resources.Devices = devices;
                RawFile.WriteAtomic(bundleConfig, OciJson.Serialize(spec, OciJsonContext.Default.Spec));
            }
            Store.Save(c);
            Events.Container(c, "update");
        }
    }

    // The daemon's checks of the values given (verifyPlatformContainerResources for an update), in its words.
    private static void CheckUpdate(ResourceUpdate u)
    {
        long memory = u.Memory ?? 0, swap = u.MemorySwap ?? 0, reservation = u.MemoryReservation ?? 0;
        if (memory != 0 && memory < MinimumMemory) throw new ContainerException("Minimum memory limit allowed is 6MB", 1);
        if (memory > 0 && swap > 0 && swap < memory) throw new ContainerException("Minimum memoryswap limit should be larger than memory limit, see usage", 1);
        if (reservation > 0 && reservation < MinimumMemory) throw new ContainerException("Minimum memory reservation allowed is 6MB", 1);
        if (memory > 0 && reservation > 0 && memory < reservation)
            throw new ContainerException("Minimum memory limit can not be less than memory reservation limit, see usage", 1);
        long nano = u.NanoCpus ?? 0, period = u.CpuPeriod ?? 0, quota = u.CpuQuota ?? 0;
        if (nano > 0 && period > 0) throw new ContainerException("Conflicting options: Nano CPUs and CPU Period cannot both be set", 1);
        if (nano > 0 && quota > 0) throw new ContainerException("Conflicting options: Nano CPUs and CPU Quota cannot both be set", 1);
        int cpus = Environment.ProcessorCount;
        if (nano != 0 && (nano < 0 || nano > cpus * 1_000_000_000L))
            throw new ContainerException($"range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available", 1);
        if (u.CpuShares < 0) throw new ContainerException($"invalid CPU shares ({u.CpuShares}): value must be a positive integer", 1);
        if (period != 0 && (period < 1000 || period > 1_000_000))
            throw new ContainerException("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)", 1);
        if (quota > 0 && quota < 1000) throw new ContainerException("CPU cfs quota can not be less than 1ms (i.e. 1000)", 1);
        if (u.BlkioWeight is { } w && w > 0 && (w < 10 || w > 1000)) throw new ContainerException("Range of blkio weight is from 10 to 1000", 1);
    }

    // docker's merge (container.UpdateContainer): a zero leaves a setting alone; CPUs given as a count
    // and as period/quota exclude each other; a memory limit above the memory+swap limit set before
    // needs a new memory+swap limit with it.
    private static void Merge(HostConfig host, ResourceUpdate u)
    {
        if (u.NanoCpus > 0 && host.CpuPeriod > 0)
            throw new ContainerException("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set", 1);
        if (u.NanoCpus > 0 && host.CpuQuota > 0)
            throw new ContainerException("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set", 1);
        if (u.CpuPeriod > 0 && host.NanoCpus > 0)
            throw new ContainerException("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set", 1);
        if (u.CpuQuota > 0 && host.NanoCpus > 0)
            throw new ContainerException("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set", 1);
        if (u.Memory is { } memory and not 0 && host.MemorySwap > 0 && memory > host.MemorySwap && u.MemorySwap is null or 0)
            throw new ContainerException("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", 1);
        if (u.RestartPolicy is { Name.Length: > 0 } policy && host.AutoRemove && policy.Name != "no")
            throw new ContainerException("Restart policy cannot be updated because AutoRemove is enabled for the container", 1);

        if (u.BlkioWeight is { } weight and not 0) host.BlkioWeight = weight;
        if (u.CpuShares is { } shares and not 0) host.CpuShares = shares;
        if (u.NanoCpus is { } nano and not 0) host.NanoCpus = nano;
        if (u.CpuPeriod is { } period and not 0) host.CpuPeriod = period;
        if (u.CpuQuota is { } quota and not 0) host.CpuQuota = quota;
        if (u.CpusetCpus is { Length: > 0 } cpus) host.CpusetCpus = cpus;
        if (u.CpusetMems is { Length: > 0 } mems) host.CpusetMems = mems;
        if (u.Memory is { } m and not 0) host.Memory = m;
        if (u.MemorySwap is { } swap and not 0) host.MemorySwap = swap;
        if (u.MemoryReservation is { } reservation and not 0) host.MemoryReservation = reservation;
        if (u.PidsLimit is { } pids) host.PidsLimit = pids;
        if (u.RestartPolicy is { Name.Length: > 0 } restart) host.RestartPolicy = restart;
    }
}
