using Berth.Oci;

namespace Berth.Runtime;

/// <summary>
/// The devices every container gets (runtime-spec config-linux.md "Default Devices") must also be
/// allowed by the device cgroup, after the config's own rules, as runc does; so must linux.devices.
/// </summary>
public static class DefaultDevices
{
    private static LinuxDeviceCgroup Allow(string type, long? major, long? minor, string access = "rwm")
        => new() { Allow = true, Type = type, Major = major, Minor = minor, Access = access };

    private static readonly LinuxDeviceCgroup[] s_rules =
    [
        Allow("c", null, null, "m"), Allow("b", null, null, "m"), // mknod of any node; using one needs its own rule
        Allow("c", 1, 3), Allow("c", 1, 5), Allow("c", 1, 7), Allow("c", 1, 8), Allow("c", 1, 9), // null zero full random urandom
        Allow("c", 5, 0), Allow("c", 5, 1), Allow("c", 5, 2), Allow("c", 136, null),          // tty console ptmx pts/*
        Allow("c", 10, 200),                                                                   // tun
    ];

    /// <summary>The resources to apply: the config's, with the default and configured devices allowed at the end.</summary>
    public static LinuxResources WithDeviceRules(LinuxResources? resources, IReadOnlyList<LinuxDevice>? devices)
    {
        var r = resources ?? new LinuxResources();
        var rules = new List<LinuxDeviceCgroup>(r.Devices ?? []);
        rules.AddRange(s_rules);
        foreach (var d in (devices ?? []).Where(d => d.Type is "c" or "b" or "u"))
            rules.Add(Allow(d.Type == "u" ? "c" : d.Type, d.Major, d.Minor));
        r.Devices = rules;
        return r;
    }
}
