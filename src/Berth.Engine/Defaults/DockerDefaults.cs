using System.Globalization;
using KernelCapabilities = Berth.Linux.Capabilities;

namespace Berth.Engine.Defaults;

/// <summary>
/// What dockerd gives every Linux container unless told otherwise (moby's daemon/pkg/oci): the
/// capability set, the /proc and /sys paths hidden or made read-only, and the rules by which
/// <c>--cap-add</c>, <c>--cap-drop</c> and <c>--privileged</c> change the capability set.
/// </summary>
public static class DockerDefaults
{
    private const string All = "ALL";
    private const string CapPrefix = "CAP_";

    /// <summary>Docker's default capability set: the 14 a container's root keeps.</summary>
    public static IReadOnlyList<string> Capabilities { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    /// <summary>
    /// Every capability Berth knows, in number order (what <c>--privileged</c> and <c>--cap-add ALL</c>
    /// grant). The runtime leaves out those above the running kernel's cap_last_cap, so the list can
    /// be longer than what an older kernel supports.
    /// </summary>
    public static IReadOnlyList<string> AllCapabilities => KernelCapabilities.Names;

    /// <summary>
    /// Paths masked in the container (a file bound to /dev/null, a directory to an empty read-only
    /// tmpfs): kernel state that is not namespaced and leaks the host or lets one container spy on
    /// another. Besides the fixed list, the per-CPU thermal_throttle directories this host has
    /// (their interrupt counters are a side channel), found once, as dockerd does at start.
    /// </summary>
    public static IReadOnlyList<string> MaskedPaths => s_maskedPaths.Value;

    /// <summary>Paths bound read-only in the container: kernel knobs that are global, not per container.</summary>
    public static IReadOnlyList<string> ReadonlyPaths { get; } =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    private static readonly string[] s_fixedMaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
        "/sys/devices/virtual/powercap", "/sys/firmware",
    ];

    private static readonly Lazy<IReadOnlyList<string>> s_maskedPaths = new(FindMaskedPaths);

    private static readonly ulong s_defaultMask = KernelCapabilities.Mask(Capabilities, KernelCapabilities.CAP_LAST_CAP);

    /// <summary>
    /// The capability set of a container, by docker's rules: <paramref name="privileged"/> grants every
    /// capability; "ALL" in <paramref name="add"/> grants every capability but those dropped; "ALL" in
    /// <paramref name="drop"/> keeps only those added; otherwise the defaults minus the dropped plus
    /// the added. Names are case-insensitive, with or without "CAP_".
    /// </summary>
    /// <returns>Upper-case "CAP_" names, each once, in capability-number order.</returns>
    /// <exception cref="ArgumentException">A name is not a capability.</exception>
    public static List<string> ResolveCapabilities(IEnumerable<string>? add, IEnumerable<string>? drop, bool privileged)
    {
        // Validated even for a privileged container: a misspelt name is a mistake either way.
        var added = Normalize(add);
        var dropped = Normalize(drop);
        if (privileged)
        {
            return [.. AllCapabilities];
        }

        ulong set;
        if (added.Contains(All))
        {
            set = MaskOf(AllCapabilities) & ~MaskOf(dropped);
        }
        else if (dropped.Contains(All))
        {
            set = MaskOf(added);
        }
        else
        {
            set = (s_defaultMask & ~MaskOf(dropped)) | MaskOf(added);
        }
        return KernelCapabilities.NamesOf(set);
    }

    /// <summary>Upper case with the "CAP_" prefix, "ALL" kept as it is; unknown names are an error.</summary>
    private static List<string> Normalize(IEnumerable<string>? names)
    {
        var normalized = new List<string>();
        foreach (var name in names ?? [])
        {
            var upper = (name ?? "").Trim().ToUpperInvariant();
            if (upper == All)
            {
                normalized.Add(All);
                continue;
            }
            var capability = upper.StartsWith(CapPrefix, StringComparison.Ordinal) ? upper : CapPrefix + upper;
            if (!KernelCapabilities.TryParse(capability, out _))
            {
                throw new ArgumentException($"unknown capability: \"{capability}\"");
            }
            normalized.Add(capability);
        }
        return normalized;
    }

    private static ulong MaskOf(IEnumerable<string> names)
        => KernelCapabilities.Mask(names.Where(name => name != All), KernelCapabilities.CAP_LAST_CAP);

    private static IReadOnlyList<string> FindMaskedPaths()
    {
        var paths = new List<string>(s_fixedMaskedPaths);
        foreach (var cpu in PossibleCpus())
        {
            var throttle = $"/sys/devices/system/cpu/cpu{cpu}/thermal_throttle";
            if (Path.Exists(throttle))
            {
                paths.Add(throttle);
            }
        }
        return paths;
    }

    /// <summary>The CPUs of /sys/devices/system/cpu/possible ("0-3,8"); none when it cannot be read.</summary>
    private static List<int> PossibleCpus()
    {
        string text;
        try
        {
            text = File.ReadAllText("/sys/devices/system/cpu/possible");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        var cpus = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-');
            if (!int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                return [];
            }
            var last = first;
            if (bounds.Length == 2 && !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out last))
            {
                return [];
            }
            for (var cpu = first; cpu <= last; cpu++)
            {
                cpus.Add(cpu);
            }
        }
        return cpus;
    }
}
