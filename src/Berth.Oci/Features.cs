using System.Text.Json.Serialization;

namespace Berth.Oci;

/// <summary>The seccomp vocabulary of config-linux.md (libseccomp's names), as config.json spells it.</summary>
public static class SeccompNames
{
    public const string ActKill = "SCMP_ACT_KILL";
    public const string ActKillProcess = "SCMP_ACT_KILL_PROCESS";
    public const string ActKillThread = "SCMP_ACT_KILL_THREAD";
    public const string ActTrap = "SCMP_ACT_TRAP";
    public const string ActErrno = "SCMP_ACT_ERRNO";
    public const string ActTrace = "SCMP_ACT_TRACE";
    public const string ActAllow = "SCMP_ACT_ALLOW";
    public const string ActLog = "SCMP_ACT_LOG";
    public const string ActNotify = "SCMP_ACT_NOTIFY";

    public const string CmpNe = "SCMP_CMP_NE";
    public const string CmpLt = "SCMP_CMP_LT";
    public const string CmpLe = "SCMP_CMP_LE";
    public const string CmpEq = "SCMP_CMP_EQ";
    public const string CmpGe = "SCMP_CMP_GE";
    public const string CmpGt = "SCMP_CMP_GT";
    public const string CmpMaskedEq = "SCMP_CMP_MASKED_EQ";

    public const string FlagTsync = "SECCOMP_FILTER_FLAG_TSYNC";
    public const string FlagLog = "SECCOMP_FILTER_FLAG_LOG";
    public const string FlagSpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
    public const string FlagWaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

    public static IReadOnlyList<string> Actions { get; } =
        [ActKill, ActKillProcess, ActKillThread, ActTrap, ActErrno, ActTrace, ActAllow, ActLog, ActNotify];

    public static IReadOnlyList<string> Operators { get; } = [CmpNe, CmpLt, CmpLe, CmpEq, CmpGe, CmpGt, CmpMaskedEq];

    public static IReadOnlyList<string> Architectures { get; } =
    [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ];

    public static IReadOnlyList<string> Flags { get; } = [FlagTsync, FlagLog, FlagSpecAllow, FlagWaitKillableRecv];

    /// <summary>Whether <c>errnoRet</c> means something for this action (the spec says: error otherwise).</summary>
    public static bool TakesErrno(string action) => action is ActErrno or ActTrace;
}

/// <summary>The hook names of config.md, as keys of <c>hooks</c>.</summary>
public static class HookNames
{
    public static IReadOnlyList<string> All { get; } =
        ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
}

/// <summary>
/// The runtime-spec features document (features.md, features-linux.md): what the runtime recognizes,
/// printed by <c>berth features</c>. It describes the build, not the host: a null property means
/// "unknown", which is different from false or an empty list.
/// </summary>
public sealed class Features
{
    /// <summary>The oldest config.json version the runtime accepts.</summary>
    public const string MinimumVersion = "1.0.0";

    [JsonPropertyName("ociVersionMin")] public string OciVersionMin { get; set; } = MinimumVersion;
    [JsonPropertyName("ociVersionMax")] public string OciVersionMax { get; set; } = SpecVersion.Current;
    [JsonPropertyName("hooks")] public List<string>? Hooks { get; set; }
    [JsonPropertyName("mountOptions")] public List<string>? MountOptions { get; set; }
    [JsonPropertyName("linux")] public LinuxFeatures? Linux { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("potentiallyUnsafeConfigAnnotations")] public List<string>? PotentiallyUnsafeConfigAnnotations { get; set; }

    /// <summary>
    /// Builds the document from the tables the runtime actually uses: <paramref name="capabilities"/>
    /// (Berth.Linux.Capabilities.Names), <paramref name="mountOptions"/> (the option names
    /// Berth.Runtime.Mounts.MountOptions recognizes), the namespace and seccomp names of Berth.Oci,
    /// and what the build supports (<paramref name="support"/>).
    /// </summary>
    public static Features Build(
        IEnumerable<string> capabilities,
        IEnumerable<string> mountOptions,
        FeatureSupport? support = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentNullException.ThrowIfNull(mountOptions);
        support ??= new FeatureSupport();

        var options = new List<string>(mountOptions);
        options.Sort(StringComparer.Ordinal);

        return new Features
        {
            Hooks = [.. HookNames.All],
            MountOptions = options,
            Linux = new LinuxFeatures
            {
                Namespaces = [.. NamespaceType.All],
                Capabilities = [.. capabilities],
                Cgroup = support.CgroupV1 is null && support.CgroupV2 is null && support.Systemd is null
                         && support.SystemdUser is null && support.Rdma is null
                    ? null
                    : new CgroupFeatures
                    {
                        V1 = support.CgroupV1,
                        V2 = support.CgroupV2,
                        Systemd = support.Systemd,
                        SystemdUser = support.SystemdUser,
                        Rdma = support.Rdma,
                    },
                Seccomp = support.Seccomp == false
                    ? new SeccompFeatures { Enabled = false }
                    : new SeccompFeatures
                    {
                        Enabled = support.Seccomp,
                        Actions = [.. SeccompNames.Actions],
                        Operators = [.. SeccompNames.Operators],
                        Archs = [.. SeccompNames.Architectures],
                        KnownFlags = [.. SeccompNames.Flags],
                        SupportedFlags = support.SeccompSupportedFlags is { } supported ? [.. supported] : null,
                    },
                Apparmor = Toggle(support.AppArmor),
                Selinux = Toggle(support.Selinux),
                IntelRdt = Toggle(support.IntelRdt),
                MountExtensions = support.IdMapMounts is null
                    ? null
                    : new MountExtensionsFeatures { IdMap = Toggle(support.IdMapMounts) },
            },
            Annotations = annotations is null ? null : new Dictionary<string, string>(annotations, StringComparer.Ordinal),
        };
    }

    // An unknown feature is left out rather than written as {"enabled": null} or {}.
    private static FeatureToggle? Toggle(bool? enabled) => enabled is null ? null : new FeatureToggle { Enabled = enabled };
}

/// <summary>
/// What this build of Berth supports, for <see cref="Features.Build"/>. Null means "unknown" and is
/// left out of the document. The defaults state what Berth.Oci itself knows: the validator refuses
/// intelRdt and idmapped mounts; everything else is for the component that implements it to say.
/// </summary>
public sealed record FeatureSupport
{
    public bool? CgroupV1 { get; init; }
    public bool? CgroupV2 { get; init; }
    public bool? Systemd { get; init; }
    public bool? SystemdUser { get; init; }
    public bool? Rdma { get; init; }
    public bool? Seccomp { get; init; }
    /// <summary>The filter flags the kernel accepts (a subset of <see cref="SeccompNames.Flags"/>); null if unknown.</summary>
    public IReadOnlyList<string>? SeccompSupportedFlags { get; init; }
    public bool? AppArmor { get; init; }
    public bool? Selinux { get; init; }
    public bool? IntelRdt { get; init; } = false;
    public bool? IdMapMounts { get; init; } = false;
}

public sealed class LinuxFeatures
{
    [JsonPropertyName("namespaces")] public List<string>? Namespaces { get; set; }
    [JsonPropertyName("capabilities")] public List<string>? Capabilities { get; set; }
    [JsonPropertyName("cgroup")] public CgroupFeatures? Cgroup { get; set; }
    [JsonPropertyName("seccomp")] public SeccompFeatures? Seccomp { get; set; }
    [JsonPropertyName("apparmor")] public FeatureToggle? Apparmor { get; set; }
    [JsonPropertyName("selinux")] public FeatureToggle? Selinux { get; set; }
    [JsonPropertyName("intelRdt")] public FeatureToggle? IntelRdt { get; set; }
    [JsonPropertyName("mountExtensions")] public MountExtensionsFeatures? MountExtensions { get; set; }
}

public sealed class CgroupFeatures
{
    [JsonPropertyName("v1")] public bool? V1 { get; set; }
    [JsonPropertyName("v2")] public bool? V2 { get; set; }
    [JsonPropertyName("systemd")] public bool? Systemd { get; set; }
    [JsonPropertyName("systemdUser")] public bool? SystemdUser { get; set; }
    [JsonPropertyName("rdma")] public bool? Rdma { get; set; }
}

public sealed class SeccompFeatures
{
    [JsonPropertyName("enabled")] public bool? Enabled { get; set; }
    [JsonPropertyName("actions")] public List<string>? Actions { get; set; }
    [JsonPropertyName("operators")] public List<string>? Operators { get; set; }
    [JsonPropertyName("archs")] public List<string>? Archs { get; set; }
    [JsonPropertyName("knownFlags")] public List<string>? KnownFlags { get; set; }
    [JsonPropertyName("supportedFlags")] public List<string>? SupportedFlags { get; set; }
}

/// <summary>An <c>{"enabled": …}</c> object: apparmor, selinux, intelRdt, mountExtensions.idmap.</summary>
public sealed class FeatureToggle
{
    [JsonPropertyName("enabled")] public bool? Enabled { get; set; }
}

public sealed class MountExtensionsFeatures
{
    [JsonPropertyName("idmap")] public FeatureToggle? IdMap { get; set; }
}
