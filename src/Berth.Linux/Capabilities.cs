namespace Berth.Linux;

/// <summary>
/// The capabilities of &lt;linux/capability.h&gt;: names as capabilities(7) and the OCI config spell
/// them, and their bit numbers. A 64-bit mask holds every capability the kernel knows today.
/// </summary>
public static class Capabilities
{
    public const int CAP_CHOWN = 0;
    public const int CAP_DAC_OVERRIDE = 1;
    public const int CAP_DAC_READ_SEARCH = 2;
    public const int CAP_FOWNER = 3;
    public const int CAP_FSETID = 4;
    public const int CAP_KILL = 5;
    public const int CAP_SETGID = 6;
    public const int CAP_SETUID = 7;
    public const int CAP_SETPCAP = 8;
    public const int CAP_LINUX_IMMUTABLE = 9;
    public const int CAP_NET_BIND_SERVICE = 10;
    public const int CAP_NET_BROADCAST = 11;
    public const int CAP_NET_ADMIN = 12;
    public const int CAP_NET_RAW = 13;
    public const int CAP_IPC_LOCK = 14;
    public const int CAP_IPC_OWNER = 15;
    public const int CAP_SYS_MODULE = 16;
    public const int CAP_SYS_RAWIO = 17;
    public const int CAP_SYS_CHROOT = 18;
    public const int CAP_SYS_PTRACE = 19;
    public const int CAP_SYS_PACCT = 20;
    public const int CAP_SYS_ADMIN = 21;
    public const int CAP_SYS_BOOT = 22;
    public const int CAP_SYS_NICE = 23;
    public const int CAP_SYS_RESOURCE = 24;
    public const int CAP_SYS_TIME = 25;
    public const int CAP_SYS_TTY_CONFIG = 26;
    public const int CAP_MKNOD = 27;
    public const int CAP_LEASE = 28;
    public const int CAP_AUDIT_WRITE = 29;
    public const int CAP_AUDIT_CONTROL = 30;
    public const int CAP_SETFCAP = 31;
    public const int CAP_MAC_OVERRIDE = 32;
    public const int CAP_MAC_ADMIN = 33;
    public const int CAP_SYSLOG = 34;
    public const int CAP_WAKE_ALARM = 35;
    public const int CAP_BLOCK_SUSPEND = 36;
    public const int CAP_AUDIT_READ = 37;
    public const int CAP_PERFMON = 38;
    public const int CAP_BPF = 39;
    public const int CAP_CHECKPOINT_RESTORE = 40;

    /// <summary>The highest capability this table knows (CAP_LAST_CAP of the headers it follows).</summary>
    public const int CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;

    /// <summary>Every known name; the index is the capability number.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];

    private static readonly Dictionary<string, int> s_byName = BuildIndex();

    private static int s_lastCap = -1;   // read once (a race reads the same value twice)

    /// <summary>
    /// The highest capability the running kernel supports, from /proc/sys/kernel/cap_last_cap,
    /// capped at <see cref="CAP_LAST_CAP"/>. Capabilities above it are ignored when building masks
    /// (as runc does), so a config written for a newer kernel still runs on an older one.
    /// </summary>
    public static int LastCap => s_lastCap >= 0 ? s_lastCap : s_lastCap = ReadLastCap();

    public static bool TryParse(string name, out int capability) => s_byName.TryGetValue(name, out capability);

    /// <summary>The number of a capability name; throws <see cref="ArgumentException"/> for unknown names.</summary>
    public static int Parse(string name)
        => TryParse(name, out int capability) ? capability : throw UnknownName(name);

    public static string NameOf(int capability)
        => (uint)capability <= CAP_LAST_CAP
            ? Names[capability]
            : throw new ArgumentOutOfRangeException(nameof(capability), capability, "unknown capability number");

    /// <summary>The capability set of <paramref name="names"/> for the running kernel (see <see cref="LastCap"/>).</summary>
    public static ulong Mask(IEnumerable<string> names) => Mask(names, LastCap);

    /// <summary>
    /// The capability set of <paramref name="names"/>, dropping capabilities above
    /// <paramref name="lastCap"/>. Unknown names are an error, not silently dropped.
    /// </summary>
    public static ulong Mask(IEnumerable<string> names, int lastCap)
    {
        ulong mask = 0;
        foreach (string name in names)
        {
            int cap = Parse(name);
            if (cap <= lastCap) mask |= 1UL << cap;
        }
        return mask;
    }

    /// <summary>The names of the capabilities in <paramref name="mask"/>, in number order.</summary>
    public static List<string> NamesOf(ulong mask)
    {
        var names = new List<string>();
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        {
            if ((mask & (1UL << cap)) != 0) names.Add(Names[cap]);
        }
        return names;
    }

    /// <summary>Parses the content of /proc/sys/kernel/cap_last_cap; null when it is not a number.</summary>
    public static int? ParseLastCap(string text)
        => int.TryParse(text.AsSpan().Trim(), System.Globalization.NumberStyles.None, null, out int last) ? last : null;

    private static int ReadLastCap()
    {
        // No /proc (or a kernel older than 3.2): trust the table.
        if (RawFile.TryReadText("/proc/sys/kernel/cap_last_cap", out string text) != 0) return CAP_LAST_CAP;
        return Math.Min(ParseLastCap(text) ?? CAP_LAST_CAP, CAP_LAST_CAP);
    }

    private static Dictionary<string, int> BuildIndex()
    {
        var index = new Dictionary<string, int>(Names.Count, StringComparer.Ordinal);
        for (int i = 0; i < Names.Count; i++) index.Add(Names[i], i);
        return index;
    }

    private static ArgumentException UnknownName(string name) => new($"unknown capability \"{name}\"");
}
