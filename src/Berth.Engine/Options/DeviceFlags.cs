using Berth.Engine.Model;

namespace Berth.Engine.Options;

/// <summary>
/// --device HOST[:CONTAINER][:PERMISSIONS] and the blkio throttles --device-{read,write}-{bps,iops}
/// DEVICE:RATE, with the docker CLI's validation and messages.
/// </summary>
public static class DeviceFlags
{
    /// <summary>
    /// "/dev/x", "/dev/x:/dev/y", "/dev/x:rw", "/dev/x:/dev/y:rwm". PERMISSIONS is a non-repeating
    /// mix of r, w and m (rwm when absent). Container paths are cleaned and must be absolute.
    /// CDI names (vendor.com/class=name) are refused: berth has no CDI registry.
    /// </summary>
    public static DeviceMapping ParseDevice(string value)
    {
        if (value.Contains('=') && value.Contains('/') && !value.StartsWith('/'))
            throw new FormatException($"CDI device {value} is not supported");
        if (value.Count(c => c == ':') > 2) throw new FormatException($"bad format for path: {value}");
        string[] split = value.Split(':');
        if (split[0].Length == 0) throw new FormatException($"bad format for path: {value}");

        string host, container, permissions = "rwm";
        switch (split.Length)
        {
            case 1:
                host = container = GoText.CleanPath(split[0]);
                Absolute(split[0]);
                break;
            case 2 when IsValidMode(split[1]):
                host = container = GoText.CleanPath(split[0]);
                permissions = split[1];
                Absolute(split[0]);
                break;
            case 2:
                host = split[0];
                container = GoText.CleanPath(split[1]);
                Absolute(split[1]);
                break;
            default:
                if (!IsValidMode(split[2])) throw new FormatException($"bad mode specified: {split[2]}");
                (host, container, permissions) = (split[0], split[1], split[2]);
                Absolute(split[1]);
                break;
        }
        return new DeviceMapping { PathOnHost = host, PathInContainer = container, CgroupPermissions = permissions };
    }

    private static void Absolute(string containerPath)
    {
        if (!containerPath.StartsWith('/')) throw new FormatException($"{containerPath} is not an absolute path");
    }

    private static bool IsValidMode(string mode) =>
        mode.Length is > 0 and <= 3 && mode.All(c => c is 'r' or 'w' or 'm') && mode.Distinct().Count() == mode.Length;

    /// <summary>"/dev/sda:1mb": a device path under /dev/ and a byte rate (a size, as -m reads it).</summary>
    public static ThrottleDevice ParseBps(string value)
    {
        string path = DevicePath(value, out string rate);
        long bytes;
        try { bytes = Units.ParseBytes(rate); }
        catch (FormatException)
        {
            throw new FormatException($"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb");
        }
        return new ThrottleDevice { Path = path, Rate = (ulong)bytes };
    }

    /// <summary>"/dev/sda:1000": a device path under /dev/ and a rate in operations per second.</summary>
    public static ThrottleDevice ParseIops(string value)
    {
        string path = DevicePath(value, out string rate);
        if (!ulong.TryParse(rate, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong iops))
            throw new FormatException($"invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must be a positive integer");
        return new ThrottleDevice { Path = path, Rate = iops };
    }

    private static string DevicePath(string value, out string rate)
    {
        int colon = value.IndexOf(':');
        if (colon <= 0) throw new FormatException($"bad format: {value}");
        string path = value[..colon];
        rate = value[(colon + 1)..];
        if (!path.StartsWith("/dev/", StringComparison.Ordinal)) throw new FormatException($"bad format for device path: {value}");
        return path;
    }
}
