using System.CommandLine;
using Berth.Oci;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>`update [--resources FILE|-] [flags] ID`: changes the resources of a running container.</summary>
public static class UpdateCommand
{
    public static Command Build()
    {
        var resources = new Option<string?>("--resources", "-r") { Description = "a JSON file of linux.resources ('-' for stdin)" };
        var blkioWeight = new Option<ushort?>("--blkio-weight") { Description = "block IO weight, 10 to 1000" };
        var cpuPeriod = new Option<ulong?>("--cpu-period") { Description = "CPU CFS period (µs)" };
        var cpuQuota = new Option<long?>("--cpu-quota") { Description = "CPU CFS quota (µs)" };
        var cpuBurst = new Option<ulong?>("--cpu-burst") { Description = "CPU CFS burst (µs)" };
        var cpuShares = new Option<ulong?>("--cpu-share") { Description = "CPU shares (relative weight)" };
        var rtPeriod = new Option<ulong?>("--cpu-rt-period") { Description = "CPU realtime period (µs)" };
        var rtRuntime = new Option<long?>("--cpu-rt-runtime") { Description = "CPU realtime runtime (µs)" };
        var cpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs allowed (0-3, 0,1)" };
        var mems = new Option<string?>("--cpuset-mems") { Description = "memory nodes allowed" };
        var memory = new Option<string?>("--memory") { Description = "memory limit (bytes, or with k/m/g)" };
        var reservation = new Option<string?>("--memory-reservation") { Description = "memory soft limit" };
        var swap = new Option<string?>("--memory-swap") { Description = "memory plus swap limit (-1: unlimited)" };
        var pids = new Option<long?>("--pids-limit") { Description = "maximum number of pids (-1: unlimited)" };
        var id = new Argument<string>("container-id");
        var c = new Command("update", "update the resource limits of a container")
        {
            resources, blkioWeight, cpuPeriod, cpuQuota, cpuBurst, cpuShares, rtPeriod, rtRuntime, cpus, mems, memory,
            reservation, swap, pids, id,
        };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            LinuxResources r;
            if (p.GetValue(resources) is { } file)
            {
                byte[] json = file == "-" ? ReadAll(Console.OpenStandardInput()) : File.ReadAllBytes(file);
                r = OciJson.ParseResources(json);
            }
            else
            {
                r = new LinuxResources();
                if (p.GetValue(memory) is not null || p.GetValue(reservation) is not null || p.GetValue(swap) is not null)
                    r.Memory = new LinuxMemory
                    {
                        Limit = Bytes(p.GetValue(memory), "--memory"),
                        Reservation = Bytes(p.GetValue(reservation), "--memory-reservation"),
                        Swap = Bytes(p.GetValue(swap), "--memory-swap"),
                    };
                if (new object?[] { p.GetValue(cpuPeriod), p.GetValue(cpuQuota), p.GetValue(cpuBurst), p.GetValue(cpuShares), p.GetValue(rtPeriod), p.GetValue(rtRuntime), p.GetValue(cpus), p.GetValue(mems) }.Any(v => v is not null))
                    r.Cpu = new LinuxCpu
                    {
                        Period = p.GetValue(cpuPeriod), Quota = p.GetValue(cpuQuota), Burst = p.GetValue(cpuBurst),
                        Shares = p.GetValue(cpuShares), RealtimePeriod = p.GetValue(rtPeriod), RealtimeRuntime = p.GetValue(rtRuntime),
                        Cpus = p.GetValue(cpus), Mems = p.GetValue(mems),
                    };
                if (p.GetValue(pids) is { } limit) r.Pids = new LinuxPids { Limit = limit };
                if (p.GetValue(blkioWeight) is { } w) r.BlockIo = new LinuxBlockIo { Weight = w };
            }
            rt.Update(p.GetValue(id)!, r);
            return 0;
        }));
        return c;
    }

    /// <summary>"512m", "1g", "4096", "-1" as docker's and runc's flags take them.</summary>
    public static long? Bytes(string? text, string flag)
    {
        if (text is null) return null;
        string t = text.Trim().ToLowerInvariant();
        if (t == "-1") return -1;
        long unit = 1;
        if (t.EndsWith('b')) t = t[..^1];
        if (t.Length > 0 && "kmgt".Contains(t[^1]))
        {
            unit = t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            t = t[..^1];
        }
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double n) || n < 0)
            throw new RuntimeException($"{flag}: invalid size \"{text}\"");
        return (long)(n * unit);
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
