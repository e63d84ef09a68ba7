using System.Globalization;

namespace Berth.Runtime.Cgroups;

/// <summary>Pure parsers for the statistics files of cgroup v1 and v2.</summary>
public static class CgroupStatsParser
{
    /// <summary>USER_HZ: the unit of cpuacct.stat (fixed at 100 on every Linux ABI).</summary>
    public const ulong ClockTicks = 100;

    /// <summary>"key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat).</summary>
    public static Dictionary<string, ulong> KeyValues(string text) => CgroupFile.ParseKeyValues(text);

    /// <summary>cpuacct.usage_percpu and friends: space-separated numbers, one per CPU.</summary>
    public static List<ulong> PerCpu(string text)
        => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
               .Select(v => ulong.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();

    /// <summary>cpuacct.stat "user N\nsystem N" in clock ticks → (user, kernel) nanoseconds.</summary>
    public static (ulong User, ulong Kernel) CpuacctStat(string text)
    {
        var kv = KeyValues(text);
        return (kv.GetValueOrDefault("user") * (1_000_000_000 / ClockTicks), kv.GetValueOrDefault("system") * (1_000_000_000 / ClockTicks));
    }

    /// <summary>v1 blkio "*_recursive" files: "8:0 Read 4096" lines (the "Total" line is dropped).</summary>
    public static List<BlkioEntry> BlkioV1(string text)
    {
        var entries = new List<BlkioEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 3 || !TryDevice(f[0], out ulong major, out ulong minor)) continue;
            if (!ulong.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) continue;
            entries.Add(new BlkioEntry(major, minor, f[1], value));
        }
        return entries;
    }

    /// <summary>v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" → bytes and I/O counts
    /// as v1-style entries with Op "Read"/"Write"/"Discard" (as runc reports them).</summary>
    public static (List<BlkioEntry> Bytes, List<BlkioEntry> Ios) IoStatV2(string text)
    {
        var bytes = new List<BlkioEntry>();
        var ios = new List<BlkioEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || !TryDevice(f[0], out ulong major, out ulong minor)) continue;
            foreach (var kv in f.Skip(1))
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0 || !ulong.TryParse(kv.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) continue;
                switch (kv[..eq])
                {
                    case "rbytes": bytes.Add(new(major, minor, "Read", value)); break;
                    case "wbytes": bytes.Add(new(major, minor, "Write", value)); break;
                    case "dbytes": bytes.Add(new(major, minor, "Discard", value)); break;
                    case "rios": ios.Add(new(major, minor, "Read", value)); break;
                    case "wios": ios.Add(new(major, minor, "Write", value)); break;
                    case "dios": ios.Add(new(major, minor, "Discard", value)); break;
                }
            }
        }
        return (bytes, ios);
    }

    /// <summary>/sys/kernel/mm/hugepages entry name → the size used in hugetlb file names:
    /// "hugepages-2048kB" → "2MB", "hugepages-1048576kB" → "1GB", "hugepages-64kB" → "64KB".</summary>
    public static string? HugePageSize(string directoryName)
    {
        const string Prefix = "hugepages-", Suffix = "kB";
        if (!directoryName.StartsWith(Prefix, StringComparison.Ordinal) || !directoryName.EndsWith(Suffix, StringComparison.Ordinal)) return null;
        if (!ulong.TryParse(directoryName.AsSpan(Prefix.Length, directoryName.Length - Prefix.Length - Suffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out ulong kb) || kb == 0) return null;
        if (kb % (1024 * 1024) == 0) return $"{kb / (1024 * 1024)}GB";
        if (kb % 1024 == 0) return $"{kb / 1024}MB";
        return $"{kb}KB";
    }

    /// <summary>The huge page sizes this kernel supports.</summary>
    public static IReadOnlyList<string> HugePageSizes()
    {
        const string Dir = "/sys/kernel/mm/hugepages";
        if (!Directory.Exists(Dir)) return [];
        return Directory.GetDirectories(Dir).Select(d => HugePageSize(System.IO.Path.GetFileName(d))).OfType<string>().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>"max" and the v1 "unlimited" values are reported as-is by runc for limits (MaxUint64),
    /// but as 0 for pids.max.</summary>
    public static ulong PidsLimit(string text) => text.Trim() == "max" ? 0 : CgroupFile.ParseUInt64(text, "pids.max");

    private static bool TryDevice(string text, out ulong major, out ulong minor)
    {
        major = minor = 0;
        int colon = text.IndexOf(':');
        return colon > 0
            && ulong.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out major)
            && ulong.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out minor);
    }
}
