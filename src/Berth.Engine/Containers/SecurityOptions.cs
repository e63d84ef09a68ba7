namespace Berth.Engine.Containers;

/// <summary>HostConfig.SecurityOpt read back: seccomp=unconfined|PROFILE-JSON|FILE and no-new-privileges[=|:true|false].</summary>
public sealed record SecurityOptions(bool NoNewPrivileges, string? Seccomp, byte[]? SeccompProfile)
{
    public static SecurityOptions Parse(IEnumerable<string>? options)
    {
        bool noNewPrivileges = false;
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
                case "seccomp" when value == "unconfined":
                    seccomp = value;
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
        return new SecurityOptions(noNewPrivileges, seccomp, profile);
    }
}
