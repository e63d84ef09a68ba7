using System.Globalization;
using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// Pure mapping of OCI <c>linux.resources</c> to cgroup file writes, with validation. Only fields that
/// are present produce writes, so the same mapping serves create (Apply) and <c>update</c>.
/// As in runc, a value of 0 for memory limit/reservation/swap, cpu shares/quota/period and blkio weights
/// means "not set". Invalid values raise <see cref="SpecException"/> naming the field; values the
/// kernel refuses are reported with the file and value when they are written.
/// </summary>
public static class CgroupResourceMap
{
    /// <summary>The kernel charges memory in pages; a limit below one page cannot hold a process.</summary>
    public const long MinMemoryLimit = 4096;
    public const ulong MinCpuShares = 2, MaxCpuShares = 262144;
    public const ulong MinCpuPeriod = 1000, MaxCpuPeriod = 1000000;
    public const long MinCpuQuota = 1000;
    public const ushort MinBlkioWeight = 10, MaxBlkioWeight = 1000;

    private static readonly string[] RefusedUnifiedKeys =
        ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.type"];

    // ---------------------------------------------------------------- cgroup v1

    /// <summary>Writes for a v1 host. Order matters and is kept: memory before memsw, period before quota
    /// (each flagged to be retried after the batch when the kernel refuses the intermediate state),
    /// devices rules in the order given, after a reset to "deny all" unless the first rule is itself a reset.</summary>
    /// <param name="notes">receives one line per field that is accepted but ignored (kernel memory …).</param>
    public static IReadOnlyList<CgroupWrite> MapV1(LinuxResources r, ICollection<string>? notes = null)
    {
        var w = new List<CgroupWrite>();
        if (r.Unified is { Count: > 0 })
            throw new SpecException("linux.resources.unified: requires cgroup v2 (this host has cgroup v1 only)");

        if (r.Memory is { } m)
        {
            long? limit = MemoryLimit(m.Limit, "linux.resources.memory.limit");
            long? swap = MemorySwap(m.Swap, limit);
            if (limit is { } l)
                w.Add(new("memory", "memory.limit_in_bytes", Num(l)) { Field = "linux.resources.memory.limit", RetryAfterBatch = true });
            if (swap is { } s)
                w.Add(new("memory", "memory.memsw.limit_in_bytes", Num(s)) { Field = "linux.resources.memory.swap", RetryAfterBatch = true });
            else if (limit == -1)
                // Unlimited memory with swap unset means unlimited memory+swap (as runc does), where swap accounting exists.
                w.Add(new("memory", "memory.memsw.limit_in_bytes", "-1") { Field = "linux.resources.memory.limit", RetryAfterBatch = true, IfExists = true });
            if (Reservation(m.Reservation) is { } res)
                w.Add(new("memory", "memory.soft_limit_in_bytes", Num(res)) { Field = "linux.resources.memory.reservation" });
            if (m.Swappiness is { } sw)
            {
                if (sw > 100) throw new SpecException($"linux.resources.memory.swappiness: {sw} is out of range 0-100");
                w.Add(new("memory", "memory.swappiness", Num(sw)) { Field = "linux.resources.memory.swappiness" });
            }
            if (m.DisableOomKiller is { } disable)
                w.Add(new("memory", "memory.oom_control", disable ? "1" : "0") { Field = "linux.resources.memory.disableOOMKiller" });
            NoteKernelMemory(m, notes);
            if (m.UseHierarchy is not null)
                notes?.Add("linux.resources.memory.useHierarchy: ignored (hierarchical accounting is always on since Linux 5.x)");
            if (m.CheckBeforeUpdate is not null)
                notes?.Add("linux.resources.memory.checkBeforeUpdate: ignored on cgroup v1");
        }

        if (r.Cpu is { } c)
        {
            if (Shares(c.Shares) is { } shares)
                w.Add(new("cpu", "cpu.shares", Num(shares)) { Field = "linux.resources.cpu.shares" });
            if (Period(c.Period) is { } period)
                w.Add(new("cpu", "cpu.cfs_period_us", Num(period)) { Field = "linux.resources.cpu.period", RetryAfterBatch = true });
            if (Quota(c.Quota) is { } quota)
                w.Add(new("cpu", "cpu.cfs_quota_us", Num(quota)) { Field = "linux.resources.cpu.quota", RetryAfterBatch = true });
            if (c.Burst is { } burst)
                w.Add(new("cpu", "cpu.cfs_burst_us", Num(burst)) { Field = "linux.resources.cpu.burst" });
            if (c.RealtimePeriod is { } rtPeriod and not 0)
                w.Add(new("cpu", "cpu.rt_period_us", Num(rtPeriod)) { Field = "linux.resources.cpu.realtimePeriod", RetryAfterBatch = true });
            if (c.RealtimeRuntime is { } rtRuntime and not 0)
            {
                if (rtRuntime < -1) throw new SpecException($"linux.resources.cpu.realtimeRuntime: {rtRuntime} is negative (-1 means unlimited)");
                w.Add(new("cpu", "cpu.rt_runtime_us", Num(rtRuntime)) { Field = "linux.resources.cpu.realtimeRuntime", RetryAfterBatch = true });
            }
            if (Idle(c.Idle) is { } idle)
                w.Add(new("cpu", "cpu.idle", Num(idle)) { Field = "linux.resources.cpu.idle" });
            AddCpuset(w, c);
        }

        if (r.Pids is { } p)
            w.Add(new("pids", "pids.max", PidsMax(p)) { Field = "linux.resources.pids.limit" });

        if (r.BlockIo is { } b)
        {
            if (Weight(b.Weight, "linux.resources.blockIO.weight") is { } weight)
                w.Add(new("blkio", "blkio.weight", Num(weight))
                { Field = "linux.resources.blockIO.weight", FallbackFile = "blkio.bfq.weight", FallbackValue = Num(weight) });
            if (Weight(b.LeafWeight, "linux.resources.blockIO.leafWeight") is { } leaf)
            {
                w.Add(new("blkio", "blkio.leaf_weight", Num(leaf)) { Field = "linux.resources.blockIO.leafWeight", IfExists = true });
                notes?.Add("linux.resources.blockIO.leafWeight: applied only where the kernel has blkio.leaf_weight (CFQ, removed in Linux 5.0)");
            }
            for (int i = 0; i < (b.WeightDevice?.Count ?? 0); i++)
            {
                var d = b.WeightDevice![i];
                string field = $"linux.resources.blockIO.weightDevice[{i}]";
                string dev = Device(d.Major, d.Minor, field);
                if (Weight(d.Weight, field + ".weight") is { } dw)
                    w.Add(new("blkio", "blkio.weight_device", $"{dev} {Num(dw)}")
                    { Field = field, FallbackFile = "blkio.bfq.weight_device", FallbackValue = $"{dev} {Num(dw)}" });
                if (Weight(d.LeafWeight, field + ".leafWeight") is { } dl)
                    w.Add(new("blkio", "blkio.leaf_weight_device", $"{dev} {Num(dl)}") { Field = field, IfExists = true });
            }
            AddThrottle(w, b.ThrottleReadBpsDevice, "blkio.throttle.read_bps_device", "throttleReadBpsDevice");
            AddThrottle(w, b.ThrottleWriteBpsDevice, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice");
            AddThrottle(w, b.ThrottleReadIopsDevice, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice");
            AddThrottle(w, b.ThrottleWriteIopsDevice, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice");
        }

        for (int i = 0; i < (r.HugepageLimits?.Count ?? 0); i++)
        {
            var h = r.HugepageLimits![i];
            string size = PageSize(h.PageSize, $"linux.resources.hugepageLimits[{i}].pageSize");
            w.Add(new("hugetlb", $"hugetlb.{size}.limit_in_bytes", Num(h.Limit)) { Field = $"linux.resources.hugepageLimits[{i}]" });
        }

        if (r.Network is { } n)
        {
            if (n.ClassId is { } classId)
                w.Add(new("net_cls", "net_cls.classid", Num(classId)) { Field = "linux.resources.network.classID" });
            for (int i = 0; i < (n.Priorities?.Count ?? 0); i++)
            {
                var prio = n.Priorities![i];
                string field = $"linux.resources.network.priorities[{i}]";
                if (prio.Name.Length == 0 || prio.Name.Any(ch => char.IsWhiteSpace(ch) || ch == '/'))
                    throw new SpecException($"{field}.name: \"{prio.Name}\" is not an interface name");
                w.Add(new("net_prio", "net_prio.ifpriomap", $"{prio.Name} {Num(prio.Priority)}") { Field = field });
            }
        }

        AddRdma(w, r);

        if (r.Devices is { } devices)
        {
            var rules = DeviceRule.FromList(devices);
            // Start from "deny all" (what the OCI list is relative to), unless the list begins with its own reset.
            if (rules.Count == 0 || !rules[0].IsAll)
                w.Add(new("devices", "devices.deny", "a *:* rwm") { Field = "linux.resources.devices" });
            for (int i = 0; i < rules.Count; i++)
                w.Add(new("devices", rules[i].Allow ? "devices.allow" : "devices.deny", rules[i].CgroupString) { Field = $"linux.resources.devices[{i}]" });
        }
        return w;
    }

    // ---------------------------------------------------------------- cgroup v2

    /// <summary>Writes for the unified hierarchy, converted as runc converts: cpu.weight from shares,
    /// io.weight from blkio weight, memory.swap.max = swap − limit. Device rules are not files on v2
    /// (see <see cref="DeviceFilterProgram"/>); <c>unified</c> keys are appended last, so they win.</summary>
    public static IReadOnlyList<CgroupWrite> MapV2(LinuxResources r, ICollection<string>? notes = null)
    {
        var w = new List<CgroupWrite>();

        if (r.Memory is { } m)
        {
            long? limit = MemoryLimit(m.Limit, "linux.resources.memory.limit");
            if (SwapV2(m.Swap, limit) is { } swap)
                w.Add(new("memory", "memory.swap.max", Max(swap)) { Field = "linux.resources.memory.swap", IfExists = m.Swap is null or 0 });
            if (limit is { } l)
                w.Add(new("memory", "memory.max", Max(l)) { Field = "linux.resources.memory.limit" });
            if (Reservation(m.Reservation) is { } res)
                w.Add(new("memory", "memory.low", Max(res)) { Field = "linux.resources.memory.reservation" });
            if (m.Swappiness is { } sw)
            {
                if (sw > 100) throw new SpecException($"linux.resources.memory.swappiness: {sw} is out of range 0-100");
                notes?.Add("linux.resources.memory.swappiness: ignored (cgroup v2 has no per-cgroup swappiness)");
            }
            if (m.DisableOomKiller == true)
                notes?.Add("linux.resources.memory.disableOOMKiller: ignored (cgroup v2 cannot disable the OOM killer)");
            NoteKernelMemory(m, notes);
            if (m.UseHierarchy is not null)
                notes?.Add("linux.resources.memory.useHierarchy: ignored (always hierarchical on cgroup v2)");
        }

        if (r.Cpu is { } c)
        {
            if (Shares(c.Shares) is { } shares)
                w.Add(new("cpu", "cpu.weight", Num(SharesToWeight(shares))) { Field = "linux.resources.cpu.shares" });
            ulong? period = Period(c.Period);
            long? quota = Quota(c.Quota);
            if (quota is not null || period is not null)
            {
                string value = quota is > 0 ? Num(quota.Value) : "max";
                if (period is { } p) value += " " + Num(p);
                w.Add(new("cpu", "cpu.max", value) { Field = quota is not null ? "linux.resources.cpu.quota" : "linux.resources.cpu.period" });
            }
            if (c.Burst is { } burst)
                w.Add(new("cpu", "cpu.max.burst", Num(burst)) { Field = "linux.resources.cpu.burst" });
            if (c.RealtimePeriod is not (null or 0) || c.RealtimeRuntime is not (null or 0))
                throw new SpecException("linux.resources.cpu.realtimeRuntime/realtimePeriod: real-time CPU limits are not supported on cgroup v2");
            if (Idle(c.Idle) is { } idle)
                w.Add(new("cpu", "cpu.idle", Num(idle)) { Field = "linux.resources.cpu.idle" });
            AddCpuset(w, c);
        }

        if (r.Pids is { } pids)
            w.Add(new("pids", "pids.max", PidsMax(pids)) { Field = "linux.resources.pids.limit" });

        if (r.BlockIo is { } b)
        {
            if (Weight(b.Weight, "linux.resources.blockIO.weight") is { } weight)
                w.Add(new("io", "io.weight", Num(BlkioWeightToIoWeight(weight)))
                { Field = "linux.resources.blockIO.weight", FallbackFile = "io.bfq.weight", FallbackValue = Num(weight) });
            if (Weight(b.LeafWeight, "linux.resources.blockIO.leafWeight") is not null)
                notes?.Add("linux.resources.blockIO.leafWeight: ignored (cgroup v2 has no leaf weights)");
            for (int i = 0; i < (b.WeightDevice?.Count ?? 0); i++)
            {
                var d = b.WeightDevice![i];
                string field = $"linux.resources.blockIO.weightDevice[{i}]";
                string dev = Device(d.Major, d.Minor, field);
                if (Weight(d.Weight, field + ".weight") is { } dw)
                    w.Add(new("io", "io.weight", $"{dev} {Num(BlkioWeightToIoWeight(dw))}")
                    { Field = field, FallbackFile = "io.bfq.weight", FallbackValue = $"{dev} {Num(dw)}" });
                if (Weight(d.LeafWeight, field + ".leafWeight") is not null)
                    notes?.Add($"{field}.leafWeight: ignored (cgroup v2 has no leaf weights)");
            }
            AddIoMax(w, b);
        }

        for (int i = 0; i < (r.HugepageLimits?.Count ?? 0); i++)
        {
            var h = r.HugepageLimits![i];
            string size = PageSize(h.PageSize, $"linux.resources.hugepageLimits[{i}].pageSize");
            w.Add(new("hugetlb", $"hugetlb.{size}.max", Num(h.Limit)) { Field = $"linux.resources.hugepageLimits[{i}]" });
        }

        if (r.Network is { ClassId: not null } or { Priorities.Count: > 0 })
            throw new SpecException("linux.resources.network: net_cls and net_prio do not exist on cgroup v2 (use network policy instead)");

        AddRdma(w, r);
        if (r.Devices is { } devices) DeviceRule.FromList(devices); // validated here, applied as an eBPF program
        w.AddRange(MapUnified(r));
        return w;
    }

    /// <summary>The <c>linux.resources.unified</c> entries as writes, keys validated (a file name in the
    /// cgroup directory: no '/', not "." or "..", "controller.file"; cgroup.procs and other files the
    /// runtime manages are refused). Sorted by key so the order does not depend on the JSON.</summary>
    public static IReadOnlyList<CgroupWrite> MapUnified(LinuxResources r)
    {
        var w = new List<CgroupWrite>();
        if (r.Unified is null) return w;
        foreach (var (key, value) in r.Unified.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string field = $"linux.resources.unified[\"{CgroupFile.Printable(key)}\"]";
            int dot = key.IndexOf('.');
            if (key.Contains('/') || key.Contains("..", StringComparison.Ordinal) || key.Any(char.IsControl) || dot <= 0 || dot == key.Length - 1)
                throw new SpecException($"{field}: not a cgroup file name (expected \"controller.file\" such as \"memory.high\", no '/' or '..')");
            if (RefusedUnifiedKeys.Contains(key))
                throw new SpecException($"{field}: {key} is managed by the runtime and cannot be set through unified");
            w.Add(new(key[..dot], key, value) { Field = field });
        }
        return w;
    }

    /// <summary>runc's conversion of cgroup v1 cpu.shares [2, 262144] to cgroup v2 cpu.weight [1, 10000].</summary>
    public static ulong SharesToWeight(ulong shares) => shares == 0 ? 0 : 1 + (shares - 2) * 9999 / 262142;

    /// <summary>runc's conversion of blkio weight [10, 1000] to io.weight [1, 10000].</summary>
    public static ulong BlkioWeightToIoWeight(ushort weight) => weight == 0 ? 0 : 1 + (ulong)(weight - 10) * 9999 / 990;

    // ---------------------------------------------------------------- validation helpers

    private static long? MemoryLimit(long? value, string field) => value switch
    {
        null or 0 => null,
        -1 => -1,
        < -1 => throw new SpecException($"{field}: {value} is negative (-1 means unlimited)"),
        < MinMemoryLimit => throw new SpecException($"{field}: {value} is below the kernel minimum of {MinMemoryLimit} bytes (one page)"),
        _ => value,
    };

    private static long? Reservation(long? value) => value switch
    {
        null or 0 => null,
        < -1 => throw new SpecException($"linux.resources.memory.reservation: {value} is negative (-1 means unlimited)"),
        _ => value,
    };

    /// <summary>v1: OCI swap is the memory+swap limit, written as memory.memsw.limit_in_bytes.</summary>
    private static long? MemorySwap(long? swap, long? limit)
    {
        const string field = "linux.resources.memory.swap";
        switch (swap)
        {
            case null or 0: return null;
            case -1: return -1;
            case < -1: throw new SpecException($"{field}: {swap} is negative (-1 means unlimited)");
        }
        if (limit is > 0 && swap < limit)
            throw new SpecException($"{field}: {swap} is below linux.resources.memory.limit {limit} (swap is the memory+swap total)");
        if (limit == -1)
            throw new SpecException($"{field}: {swap} limits memory+swap while linux.resources.memory.limit is unlimited (-1)");
        return swap;
    }

    /// <summary>v2: memory.swap.max is swap alone, = OCI swap − limit (runc's ConvertMemorySwapToCgroupV2Value).</summary>
    private static long? SwapV2(long? swap, long? limit)
    {
        const string field = "linux.resources.memory.swap";
        if (limit == -1 && swap is null or 0) return -1; // unlimited memory, swap unset: unlimited swap too
        switch (swap)
        {
            case null or 0: return null;
            case -1: return -1;
            case < -1: throw new SpecException($"{field}: {swap} is negative (-1 means unlimited)");
        }
        if (limit is null or -1)
            throw new SpecException($"{field}: {swap} needs linux.resources.memory.limit (on cgroup v2 swap is set as memory+swap minus memory)");
        if (swap < limit)
            throw new SpecException($"{field}: {swap} is below linux.resources.memory.limit {limit} (swap is the memory+swap total)");
        return swap - limit;
    }

    private static void NoteKernelMemory(LinuxMemory m, ICollection<string>? notes)
    {
        if (m.Kernel is not null)
            notes?.Add("linux.resources.memory.kernel: ignored (kernel memory limits are deprecated and unsupported by current kernels)");
        if (m.KernelTcp is not null)
            notes?.Add("linux.resources.memory.kernelTCP: ignored (kernel memory limits are deprecated and unsupported by current kernels)");
    }

    private static ulong? Shares(ulong? shares) => shares switch
    {
        null or 0 => null,
        < MinCpuShares or > MaxCpuShares => throw new SpecException($"linux.resources.cpu.shares: {shares} is out of range {MinCpuShares}-{MaxCpuShares}"),
        _ => shares,
    };

    private static ulong? Period(ulong? period) => period switch
    {
        null or 0 => null,
        < MinCpuPeriod or > MaxCpuPeriod => throw new SpecException($"linux.resources.cpu.period: {period} is out of range {MinCpuPeriod}-{MaxCpuPeriod} microseconds"),
        _ => period,
    };

    private static long? Quota(long? quota) => quota switch
    {
        null or 0 => null,
        -1 => -1,
        < MinCpuQuota => throw new SpecException($"linux.resources.cpu.quota: {quota} is below the minimum of {MinCpuQuota} microseconds (-1 means unlimited)"),
        _ => quota,
    };

    private static long? Idle(long? idle) => idle switch
    {
        null => null,
        0 or 1 => idle,
        _ => throw new SpecException($"linux.resources.cpu.idle: {idle} must be 0 or 1"),
    };

    private static void AddCpuset(List<CgroupWrite> w, LinuxCpu c)
    {
        if (!string.IsNullOrWhiteSpace(c.Cpus))
            w.Add(new("cpuset", "cpuset.cpus", CpuList(c.Cpus, "linux.resources.cpu.cpus")) { Field = "linux.resources.cpu.cpus" });
        if (!string.IsNullOrWhiteSpace(c.Mems))
            w.Add(new("cpuset", "cpuset.mems", CpuList(c.Mems, "linux.resources.cpu.mems")) { Field = "linux.resources.cpu.mems" });
    }

    /// <summary>A cpuset list: "0-3,5,7-8" (ascending ranges, comma separated).</summary>
    internal static string CpuList(string list, string field)
    {
        string trimmed = list.Trim();
        foreach (var part in trimmed.Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length > 2 || !bounds.All(IsNumber))
                throw new SpecException($"{field}: \"{list}\" is not a list such as \"0-3,5\"");
            if (bounds.Length == 2 && ulong.Parse(bounds[0], CultureInfo.InvariantCulture) > ulong.Parse(bounds[1], CultureInfo.InvariantCulture))
                throw new SpecException($"{field}: \"{list}\": range {part} is descending");
        }
        return trimmed;

        static bool IsNumber(string s) => s.Length is > 0 and < 10 && s.All(char.IsAsciiDigit);
    }

    private static string PidsMax(LinuxPids p) => p.Limit <= 0 ? "max" : Num(p.Limit);

    private static ushort? Weight(ushort? weight, string field) => weight switch
    {
        null or 0 => null,
        < MinBlkioWeight or > MaxBlkioWeight => throw new SpecException($"{field}: {weight} is out of range {MinBlkioWeight}-{MaxBlkioWeight}"),
        _ => weight,
    };

    private static string Device(long major, long minor, string field)
    {
        if (major < 0 || major > uint.MaxValue) throw new SpecException($"{field}.major: {major} is not a device major number");
        if (minor < 0 || minor > uint.MaxValue) throw new SpecException($"{field}.minor: {minor} is not a device minor number");
        return $"{Num(major)}:{Num(minor)}";
    }

    private static void AddThrottle(List<CgroupWrite> w, List<LinuxThrottleDevice>? devices, string file, string name)
    {
        for (int i = 0; i < (devices?.Count ?? 0); i++)
        {
            var d = devices![i];
            string field = $"linux.resources.blockIO.{name}[{i}]";
            w.Add(new("blkio", file, $"{Device(d.Major, d.Minor, field)} {Num(d.Rate)}") { Field = field });
        }
    }

    /// <summary>io.max: one line per device, "maj:min rbps=N wbps=N riops=N wiops=N" with the keys given.</summary>
    private static void AddIoMax(List<CgroupWrite> w, LinuxBlockIo b)
    {
        var lines = new List<(string Device, List<string> Keys, string Field)>();
        Collect(b.ThrottleReadBpsDevice, "rbps", "throttleReadBpsDevice");
        Collect(b.ThrottleWriteBpsDevice, "wbps", "throttleWriteBpsDevice");
        Collect(b.ThrottleReadIopsDevice, "riops", "throttleReadIOPSDevice");
        Collect(b.ThrottleWriteIopsDevice, "wiops", "throttleWriteIOPSDevice");
        foreach (var (device, keys, field) in lines)
            w.Add(new("io", "io.max", $"{device} {string.Join(' ', keys)}") { Field = field });

        void Collect(List<LinuxThrottleDevice>? devices, string key, string name)
        {
            for (int i = 0; i < (devices?.Count ?? 0); i++)
            {
                var d = devices![i];
                string field = $"linux.resources.blockIO.{name}[{i}]";
                string dev = Device(d.Major, d.Minor, field);
                // 0 removes a v1 throttle; its v2 spelling is "max".
                string entry = $"{key}={(d.Rate == 0 ? "max" : Num(d.Rate))}";
                int at = lines.FindIndex(l => l.Device == dev);
                if (at < 0) lines.Add((dev, [entry], field));
                else
                {
                    lines[at].Keys.RemoveAll(k => k.StartsWith(key + "=", StringComparison.Ordinal));
                    lines[at].Keys.Add(entry);
                }
            }
        }
    }

    /// <summary>"2MB", "1GB", "64KB": the size part of hugetlb.&lt;size&gt;.* file names.</summary>
    internal static string PageSize(string size, string field)
    {
        int digits = 0;
        while (digits < size.Length && char.IsAsciiDigit(size[digits])) digits++;
        string unit = size[digits..];
        if (digits == 0 || digits > 9 || size[0] == '0' || unit is not ("KB" or "MB" or "GB"))
            throw new SpecException($"{field}: \"{size}\" is not a huge page size such as \"2MB\" or \"1GB\"");
        return size;
    }

    private static void AddRdma(List<CgroupWrite> w, LinuxResources r)
    {
        if (r.Rdma is null) return;
        foreach (var (device, limits) in r.Rdma.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string field = $"linux.resources.rdma[\"{device}\"]";
            if (device.Length == 0 || device.Any(ch => char.IsWhiteSpace(ch) || ch == '/'))
                throw new SpecException($"{field}: \"{device}\" is not an RDMA device name");
            var parts = new List<string> { device };
            if (limits.HcaHandles is { } handles) parts.Add($"hca_handle={Num(handles)}");
            if (limits.HcaObjects is { } objects) parts.Add($"hca_object={Num(objects)}");
            if (parts.Count > 1) w.Add(new("rdma", "rdma.max", string.Join(' ', parts)) { Field = field });
        }
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Num(ulong v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Max(long v) => v == -1 ? "max" : Num(v);
}
