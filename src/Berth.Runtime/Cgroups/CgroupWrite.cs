namespace Berth.Runtime.Cgroups;

/// <summary>One value to write into one cgroup file: <paramref name="Controller"/> selects the hierarchy
/// (v1) or names the controller that must be enabled (v2; "cgroup" for core files), <paramref name="File"/>
/// is the file name inside the container's cgroup directory.</summary>
public sealed record CgroupWrite(string Controller, string File, string Value)
{
    /// <summary>The OCI field the value comes from ("linux.resources.memory.limit"), for error messages.</summary>
    public string Field { get; init; } = "";

    /// <summary>When <see cref="File"/> does not exist, write <see cref="FallbackValue"/> to this file instead
    /// (blkio.weight → blkio.bfq.weight where only BFQ provides weights).</summary>
    public string? FallbackFile { get; init; }
    public string? FallbackValue { get; init; }

    /// <summary>Skip silently when the file does not exist (an optional kernel feature).</summary>
    public bool IfExists { get; init; }

    /// <summary>The kernel may refuse this value (EINVAL) until a later write of the same batch lands:
    /// limit pairs such as memory/memsw or cfs period/quota. Such a write is retried once after the batch.</summary>
    public bool RetryAfterBatch { get; init; }

    public override string ToString() => $"{File}={CgroupFile.Printable(Value)}";
}
