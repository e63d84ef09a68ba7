namespace Berth.Engine.Containers;

/// <summary>
/// HostConfig.SecurityOpt read back when a container starts: seccomp=unconfined|builtin|PROFILE-JSON|FILE,
/// no-new-privileges[=|:true|false], writable-cgroups[=true|false]; label=disable and apparmor=unconfined
/// ask for what Berth does anyway (the CLI refuses other label and apparmor values).
/// </summary>
public sealed record SecuritySettings(bool NoNewPrivileges, string? Seccomp, byte[]? SeccompProfile, bool WritableCgroups)
{
    public static SecuritySettings Parse(IEnumerable<string>? options)
    {
        bool noNewPrivileges = false, writableCgroups = false;
        string? seccomp = null;
        byte[]? profile = null;
        foreach (var option in options ?? [])
        {
            int sep = option.IndexOfAny(['=', ':']);
            string key = sep < 0 ? option : option[..sep];
            string value = sep < 0 ? "" : option[(sep + 1)..];
            switch (key)
            {
                case "no-new-privileges":
                    noNewPrivileges = value.Length == 0 || bool.Parse(value);
                    break;
                case "writable-cgroups":
                    writableCgroups = value.Length == 0 || bool.Parse(value);
                    break;
                case "seccomp" when value == "unconfined":
                    seccomp = value;
                    break;
                case "seccomp" when value == "builtin":
                    break;
                case "label" when value == "disable":
                case "apparmor" when value == "unconfined":
                    break;
                case "seccomp":
                    // The docker CLI stores the profile's JSON itself; a path is read here.
                    seccomp = "profile";
                    profile = value.TrimStart().StartsWith('{') ? System.Text.Encoding.UTF8.GetBytes(value) : File.ReadAllBytes(value);
                    break;
                default:
                    throw new ArgumentException($"invalid --security-opt: \"{option}\"");
            }
        }
        return new SecuritySettings(noNewPrivileges, seccomp, profile, writableCgroups);
    }
}
