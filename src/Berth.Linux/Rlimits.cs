namespace Berth.Linux;

/// <summary>
/// The resources of setrlimit(2)/prlimit(2), &lt;asm-generic/resource.h&gt; numbering as used on
/// x86_64 and aarch64 (alpha, mips and sparc number some of them differently).
/// </summary>
public static class Rlimits
{
    public const int RLIMIT_CPU = 0;
    public const int RLIMIT_FSIZE = 1;
    public const int RLIMIT_DATA = 2;
    public const int RLIMIT_STACK = 3;
    public const int RLIMIT_CORE = 4;
    public const int RLIMIT_RSS = 5;
    public const int RLIMIT_NPROC = 6;
    public const int RLIMIT_NOFILE = 7;
    public const int RLIMIT_MEMLOCK = 8;
    public const int RLIMIT_AS = 9;
    public const int RLIMIT_LOCKS = 10;
    public const int RLIMIT_SIGPENDING = 11;
    public const int RLIMIT_MSGQUEUE = 12;
    public const int RLIMIT_NICE = 13;
    public const int RLIMIT_RTPRIO = 14;
    public const int RLIMIT_RTTIME = 15;

    /// <summary>Number of resources (RLIM_NLIMITS).</summary>
    public const int RLIM_NLIMITS = 16;

    /// <summary>"No limit" (~0UL).</summary>
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    /// <summary>Every resource name as the OCI config spells it; the index is the resource number.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    public static bool TryParse(string name, out int resource)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal))
            {
                resource = i;
                return true;
            }
        }
        resource = -1;
        return false;
    }

    /// <summary>The resource number of a name; throws <see cref="ArgumentException"/> for unknown names.</summary>
    public static int Parse(string name)
        => TryParse(name, out int resource) ? resource : throw new ArgumentException($"unknown rlimit \"{name}\"");

    public static string NameOf(int resource)
        => (uint)resource < RLIM_NLIMITS
            ? Names[resource]
            : throw new ArgumentOutOfRangeException(nameof(resource), resource, "unknown rlimit resource");
}
