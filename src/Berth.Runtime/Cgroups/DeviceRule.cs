using System.Globalization;
using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Cgroups;

/// <summary>A validated OCI device cgroup rule. <see cref="Major"/>/<see cref="Minor"/> null means "any"
/// (OCI: unset or -1); <see cref="Type"/> is 'a' (all devices), 'b' or 'c'; <see cref="Access"/> is a
/// non-empty subset of "rwm" in that order.</summary>
public sealed record DeviceRule(bool Allow, char Type, long? Major, long? Minor, string Access)
{
    /// <summary>"a", all majors and minors, all access: the rule that resets the whole list.</summary>
    public bool IsAll => Type == 'a' && Major is null && Minor is null && Access == "rwm";

    /// <summary>The v1 devices.allow/devices.deny syntax, as devices.list shows it: "c 1:3 rwm", "a *:* rwm".</summary>
    public string CgroupString => $"{Type} {Number(Major)}:{Number(Minor)} {Access}";

    /// <summary>BPF_DEVCG_ACC_* bits of <see cref="Access"/>.</summary>
    public int AccessBits =>
        (Access.Contains('m') ? Bpf.BPF_DEVCG_ACC_MKNOD : 0) |
        (Access.Contains('r') ? Bpf.BPF_DEVCG_ACC_READ : 0) |
        (Access.Contains('w') ? Bpf.BPF_DEVCG_ACC_WRITE : 0);

    public override string ToString() => $"{(Allow ? "allow" : "deny")} {CgroupString}";

    private static string Number(long? n) => n is { } v ? v.ToString(CultureInfo.InvariantCulture) : "*";

    /// <summary>Validates linux.resources.devices[index].</summary>
    /// <exception cref="SpecException">names the field and what is wrong.</exception>
    public static DeviceRule From(LinuxDeviceCgroup d, int index)
    {
        string field = $"linux.resources.devices[{index}]";
        char type = string.IsNullOrEmpty(d.Type) ? 'a' : d.Type.Length == 1 ? d.Type[0] : '?';
        if (type is not ('a' or 'b' or 'c'))
            throw new SpecException($"{field}.type: \"{d.Type}\" is not a device cgroup type (a, b or c)");
        long? major = Wildcard(d.Major, $"{field}.major");
        long? minor = Wildcard(d.Minor, $"{field}.minor");
        string access = CanonicalAccess(d.Access, $"{field}.access");
        var rule = new DeviceRule(d.Allow, type, major, minor, access);
        // The kernel treats any "a" rule as "all devices, all access" whatever else it says; refusing
        // a narrower-looking "a" rule is clearer than silently granting (or denying) more than written.
        if (type == 'a' && !rule.IsAll)
            throw new SpecException($"{field}: type \"a\" means every device with every access; leave major, minor and access unset (or -1, -1, \"rwm\") or use type \"b\"/\"c\"");
        return rule;
    }

    public static IReadOnlyList<DeviceRule> FromList(IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        var result = new DeviceRule[rules.Count];
        for (int i = 0; i < rules.Count; i++) result[i] = From(rules[i], i);
        return result;
    }

    private static long? Wildcard(long? value, string field) => value switch
    {
        null or -1 => null,
        < -1 => throw new SpecException($"{field}: {value} is negative (use -1 or leave it unset for any)"),
        > int.MaxValue => throw new SpecException($"{field}: {value} is larger than any device number"),
        _ => value,
    };

    private static string CanonicalAccess(string? access, string field)
    {
        if (string.IsNullOrEmpty(access)) return "rwm";
        foreach (char c in access)
            if (c is not ('r' or 'w' or 'm'))
                throw new SpecException($"{field}: \"{access}\" may only contain r, w and m");
        return (access.Contains('r') ? "r" : "") + (access.Contains('w') ? "w" : "") + (access.Contains('m') ? "m" : "");
    }
}
