using Berth.Engine.Model;

namespace Berth.Engine.Options;

/// <summary>
/// A -v/--volume value, [SOURCE:]TARGET[:MODE], as docker reads it on Linux:
/// <list type="bullet">
/// <item>an absolute SOURCE (or one starting with "." — made absolute against the working
/// directory, as the docker CLI does) is a bind mount; any other SOURCE names a volume; a lone
/// TARGET is an anonymous volume;</item>
/// <item>MODE is a comma list with at most one of each kind: ro/rw, z/Z (SELinux relabelling,
/// accepted and ignored: berth does not label), nocopy (volumes only), a propagation
/// (shared, slave, private, rshared, rslave, rprivate — binds only), a consistency
/// (consistent, cached, delegated — ignored on Linux, as by docker).</item>
/// </list>
/// Errors carry the docker CLI's or daemon's message.
/// </summary>
public static class VolumeSpec
{
    internal static readonly string[] Propagations = ["private", "rprivate", "slave", "rslave", "shared", "rshared"];
    private static readonly string[] s_consistencies = ["consistent", "cached", "delegated"];

    public static MountSpec Parse(string spec, string? workingDirectory = null)
    {
        if (spec.Length == 0) throw new FormatException("invalid empty volume spec");
        string[] parts = spec.Split(':');
        if (parts.Any(p => p.Length == 0)) throw new FormatException($"invalid spec: {spec}: empty section between colons");
        if (parts.Length > 3) throw new FormatException($"invalid spec: {spec}: too many colons");

        string source = "", target, mode = "";
        switch (parts.Length)
        {
            case 1:
                target = parts[0];
                break;
            case 2:
                // "/data:ro" is a target and a mode, but a volume needs a source to take a mode.
                if (IsValidMode(parts[1])) throw new FormatException($"invalid volume specification: '{spec}'");
                (source, target) = (parts[0], parts[1]);
                break;
            default:
                (source, target, mode) = (parts[0], parts[1], parts[2]);
                break;
        }
        if (!IsValidMode(mode)) throw new FormatException($"invalid mode: {mode}");

        if (source.StartsWith('.')) source = Path.GetFullPath(source, workingDirectory ?? Environment.CurrentDirectory);
        var m = new MountSpec
        {
            Type = source.StartsWith('/') ? "bind" : "volume",
            Source = source.StartsWith('/') ? GoText.CleanPath(source) : source,
            Target = target,
            ReadOnly = mode.Split(',').Contains("ro"),
        };
        foreach (string option in mode.Split(','))
        {
            if (option == "nocopy") m.VolumeOptions = new VolumeOptions { NoCopy = true };
            else if (Propagations.Contains(option)) m.BindOptions = new BindOptions { Propagation = option };
        }

        try
        {
            MountFlag.ValidateConfig(m);
        }
        catch (FormatException e)
        {
            throw new FormatException($"invalid volume specification: '{spec}': {e.Message}");
        }
        if (m.Type == "volume" && m.Source.Length > 0) ValidateVolumeName(m.Source);
        m.Target = GoText.CleanPath(target);
        return m;
    }

    /// <summary>The daemon's check: each kind of mode at most once, nothing unknown; "" is valid.</summary>
    internal static bool IsValidMode(string mode)
    {
        if (mode.Length == 0) return true;
        int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
        foreach (string o in mode.Split(','))
        {
            if (o is "rw" or "ro") rw++;
            else if (o is "z" or "Z") label++;
            else if (Propagations.Contains(o)) propagation++;
            else if (o == "nocopy") copy++;
            else if (s_consistencies.Contains(o)) consistency++;
            else return false;
        }
        return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
    }

    /// <summary>The local volume driver's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.</summary>
    internal static void ValidateVolumeName(string name)
    {
        bool valid = name.Length >= 2 && char.IsAsciiLetterOrDigit(name[0])
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        if (!valid)
            throw new FormatException(
                $"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    }
}
