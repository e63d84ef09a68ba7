using System.Text.Json.Serialization;

namespace Berth.Runtime.Cgroups;

// The data of runc's `events --stats` ({"type":"stats","id":…,"data":<CgroupStats>}), with runc's JSON
// names (libcontainer/cgroups/stats.go and runc's types/events.go). Where runc omits zero values
// (omitempty) the property says so, so the JSON reads the same.

public sealed class CgroupStats
{
    [JsonPropertyName("cpu")] public CpuStats Cpu { get; set; } = new();
    [JsonPropertyName("memory")] public MemoryStats Memory { get; set; } = new();
    [JsonPropertyName("pids")] public PidsStats Pids { get; set; } = new();
    [JsonPropertyName("blkio")] public BlkioStats Blkio { get; set; } = new();
    [JsonPropertyName("hugetlb")] public Dictionary<string, HugetlbStats> Hugetlb { get; set; } = new(StringComparer.Ordinal);
}

public sealed class CpuStats
{
    [JsonPropertyName("usage")] public CpuUsage Usage { get; set; } = new();
    [JsonPropertyName("throttling")] public Throttling Throttling { get; set; } = new();
}

/// <summary>CPU time in nanoseconds.</summary>
public sealed class CpuUsage
{
    [JsonPropertyName("total"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Total { get; set; }
    [JsonPropertyName("percpu"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<ulong>? Percpu { get; set; }
    [JsonPropertyName("percpu_kernel"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<ulong>? PercpuKernel { get; set; }
    [JsonPropertyName("percpu_user"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<ulong>? PercpuUser { get; set; }
    [JsonPropertyName("kernel")] public ulong Kernel { get; set; }
    [JsonPropertyName("user")] public ulong User { get; set; }
}

public sealed class Throttling
{
    [JsonPropertyName("periods"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Periods { get; set; }
    [JsonPropertyName("throttledPeriods"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong ThrottledPeriods { get; set; }
    /// <summary>Nanoseconds.</summary>
    [JsonPropertyName("throttledTime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong ThrottledTime { get; set; }
}

/// <summary>Bytes. Limit is <see cref="ulong.MaxValue"/> when unlimited (as runc reports it).</summary>
public sealed class MemoryEntry
{
    [JsonPropertyName("limit")] public ulong Limit { get; set; }
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Usage { get; set; }
    [JsonPropertyName("max"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Max { get; set; }
    [JsonPropertyName("failcnt")] public ulong Failcnt { get; set; }
}

public sealed class MemoryStats
{
    [JsonPropertyName("cache"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Cache { get; set; }
    [JsonPropertyName("usage")] public MemoryEntry Usage { get; set; } = new();
    /// <summary>v1: memory+swap (memsw); v2: swap + memory, reported the v1 way for compatibility (as runc does).</summary>
    [JsonPropertyName("swap")] public MemoryEntry Swap { get; set; } = new();
    [JsonPropertyName("kernel")] public MemoryEntry Kernel { get; set; } = new();
    [JsonPropertyName("kernelTCP")] public MemoryEntry KernelTcp { get; set; } = new();
    /// <summary>memory.stat as read.</summary>
    [JsonPropertyName("raw"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, ulong>? Raw { get; set; }
}

public sealed class PidsStats
{
    [JsonPropertyName("current"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Current { get; set; }
    /// <summary>0 when unlimited ("max"), as runc reports it.</summary>
    [JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Limit { get; set; }
}

public sealed record BlkioEntry(
    [property: JsonPropertyName("major"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] ulong Major,
    [property: JsonPropertyName("minor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] ulong Minor,
    [property: JsonPropertyName("op"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] string Op,
    [property: JsonPropertyName("value"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] ulong Value);

public sealed class BlkioStats
{
    [JsonPropertyName("ioServiceBytesRecursive"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<BlkioEntry>? IoServiceBytesRecursive { get; set; }
    [JsonPropertyName("ioServicedRecursive"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<BlkioEntry>? IoServicedRecursive { get; set; }
}

public sealed class HugetlbStats
{
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Usage { get; set; }
    [JsonPropertyName("max"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Max { get; set; }
    [JsonPropertyName("failcnt")] public ulong Failcnt { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CgroupStats))]
public sealed partial class CgroupStatsJsonContext : JsonSerializerContext;
