using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.Runtime.Seccomp;

/// <summary>
/// What the compiler needs to know about one architecture: the value of <c>seccomp_data.arch</c> its
/// syscalls arrive with, how wide their arguments are, and its syscall name → number table.
/// </summary>
public sealed class SyscallTable
{
    private readonly Dictionary<string, int> _numbers;

    internal SyscallTable(string name, uint auditArch, bool hasWideArguments, Dictionary<string, int> numbers)
    {
        Name = name;
        AuditArch = auditArch;
        HasWideArguments = hasWideArguments;
        _numbers = numbers;
    }

    /// <summary>The libseccomp/OCI name, e.g. <c>SCMP_ARCH_X86_64</c>.</summary>
    public string Name { get; }

    /// <summary>The <c>AUDIT_ARCH_*</c> value the kernel puts in <c>seccomp_data.arch</c>.</summary>
    public uint AuditArch { get; }

    /// <summary>
    /// Whether syscall arguments are 64 bits wide. For 32-bit ABIs (x86, x32) libseccomp compares only
    /// the low 32 bits of an argument, and so do we.
    /// </summary>
    public bool HasWideArguments { get; }

    public IReadOnlyDictionary<string, int> Numbers => _numbers;

    public bool TryGetNumber(string name, out int number) => _numbers.TryGetValue(name, out number);

    public override string ToString() => Name;
}

/// <summary>The architectures Berth can compile seccomp filters for, and the names it accepts.</summary>
public static partial class SyscallTables
{
    public static SyscallTable X86_64 { get; } = new("SCMP_ARCH_X86_64", AUDIT_ARCH_X86_64, true, CreateX86_64());
    public static SyscallTable X86 { get; } = new("SCMP_ARCH_X86", AUDIT_ARCH_I386, false, CreateX86());
    public static SyscallTable X32 { get; } = new("SCMP_ARCH_X32", AUDIT_ARCH_X86_64, false, CreateX32());
    public static SyscallTable Aarch64 { get; } = new("SCMP_ARCH_AARCH64", AUDIT_ARCH_AARCH64, true, CreateAarch64());

    /// <summary>Every architecture name the OCI runtime spec and libseccomp define.</summary>
    private static readonly HashSet<string> s_knownNames = new(StringComparer.Ordinal)
    {
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    };

    /// <summary>Whether <paramref name="name"/> is a valid architecture name, with or without a table.</summary>
    public static bool IsKnownArchitecture(string name) => s_knownNames.Contains(name);

    /// <summary>The table for <paramref name="name"/>, or null for architectures Berth has no table for.</summary>
    public static SyscallTable? Find(string name) => name switch
    {
        "SCMP_ARCH_X86_64" => X86_64,
        "SCMP_ARCH_X86" => X86,
        "SCMP_ARCH_X32" => X32,
        "SCMP_ARCH_AARCH64" => Aarch64,
        _ => null,
    };
}
