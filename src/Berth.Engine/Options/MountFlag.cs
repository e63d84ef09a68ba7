using System.Globalization;
using System.Text;
using Berth.Engine.Model;

namespace Berth.Engine.Options;

/// <summary>
/// A --mount value: comma-separated key=value fields (CSV, so a field may be quoted), as docker reads
/// them — type=bind|volume|tmpfs (volume by default), source/src, target/destination/dst,
/// readonly/ro[=BOOL], bind-propagation, volume-nocopy[=BOOL], volume-label=K=V, tmpfs-size,
/// tmpfs-mode (octal), consistency (accepted, no effect on Linux), volume-driver=local.
/// <para>
/// <see cref="Parse"/> is the CLI's reading (its errors follow "invalid argument … for --mount
/// flag:"); <see cref="Validate"/> is the daemon's check of the result, which docker makes when the
/// container is created. Options the model cannot carry (bind-nonrecursive, bind-recursive,
/// volume-opt, volume-subpath, tmpfs-options, other volume drivers) are refused, not dropped.
/// </para>
/// </summary>
public static class MountFlag
{
    private static readonly string[] s_unsupported =
        ["bind-nonrecursive", "bind-recursive", "volume-opt", "volume-subpath", "tmpfs-options", "image-subpath"];

    public static MountSpec Parse(string value, string? workingDirectory = null)
    {
        var m = new MountSpec { Type = "volume" };
        foreach (string field in ReadCsvRecord(value))
        {
            int eq = field.IndexOf('=');
            if (eq < 0)
            {
                switch (field)
                {
                    case "readonly" or "ro": m.ReadOnly = true; continue;
                    case "volume-nocopy": (m.VolumeOptions ??= new()).NoCopy = true; continue;
                    case "bind-nonrecursive": throw Unsupported(field);
                    default: throw new FormatException($"invalid field '{field}' must be a key=value pair");
                }
            }
            string key = field[..eq], val = field[(eq + 1)..];
            switch (key)
            {
                case "type":
                    m.Type = val.ToLowerInvariant();
                    break;
                case "source" or "src":
                    m.Source = val == "." || val.StartsWith("./", StringComparison.Ordinal)
                        ? Path.GetFullPath(val, workingDirectory ?? Environment.CurrentDirectory)
                        : val;
                    break;
                case "target" or "dst" or "destination":
                    m.Target = val;
                    break;
                case "readonly" or "ro":
                    m.ReadOnly = ParseBool(key, val);
                    break;
                case "consistency":
                    // Docker for Mac's file-sharing hint; Linux ignores it, as docker does here.
                    break;
                case "bind-propagation":
                    (m.BindOptions ??= new()).Propagation = val.ToLowerInvariant();
                    break;
                case "volume-nocopy":
                    (m.VolumeOptions ??= new()).NoCopy = GoText.ParseBoolOr(val, () => new FormatException($"invalid value for volume-nocopy: {val}"));
                    break;
                case "volume-label":
                    var labels = (m.VolumeOptions ??= new()).Labels ??= [];
                    int leq = val.IndexOf('=');
                    string labelKey = leq < 0 ? val : val[..leq];
                    if (labelKey.Length > 0) labels[labelKey] = leq < 0 ? "" : val[(leq + 1)..];
                    break;
                case "volume-driver":
                    m.VolumeOptions ??= new();
                    if (val != "local") throw new FormatException($"volume driver '{val}' is not supported: berth has the local driver only");
                    break;
                case "tmpfs-size":
                    long size;
                    try { size = Units.ParseBytes(val); }
                    catch (FormatException) { throw new FormatException($"invalid value for {key}: {val}"); }
                    (m.TmpfsOptions ??= new()).SizeBytes = size;
                    break;
                case "tmpfs-mode":
                    if (!TryOctal(val, out int mode))
                        throw new FormatException($"invalid value for {key}: {val}");
                    (m.TmpfsOptions ??= new()).Mode = mode;
                    break;
                default:
                    if (s_unsupported.Contains(key)) throw Unsupported(key);
                    throw new FormatException($"unexpected key '{key}' in '{field}'");
            }
        }

        if (m.Type.Length == 0) throw new FormatException("type is required");
        if (m.Target.Length == 0) throw new FormatException("target is required");
        if (m.VolumeOptions is not null && m.Type != "volume") throw new FormatException($"cannot mix 'volume-*' options with mount type '{m.Type}'");
        if (m.BindOptions is not null && m.Type != "bind") throw new FormatException($"cannot mix 'bind-*' options with mount type '{m.Type}'");
        if (m.TmpfsOptions is not null && m.Type != "tmpfs") throw new FormatException($"cannot mix 'tmpfs-*' options with mount type '{m.Type}'");
        return m;
    }

    /// <summary>The daemon's check of a mount (from --mount or -v), with its messages.</summary>
    public static void Validate(MountSpec m)
    {
        ValidateConfig(m);
        if (m.Type == "volume" && m.Source.Length > 0) VolumeSpec.ValidateVolumeName(m.Source);
    }

    internal static void ValidateConfig(MountSpec m)
    {
        string? problem = Problem(m);
        if (problem is not null) throw new FormatException($"invalid mount config for type \"{m.Type}\": {problem}");
    }

    private static string? Problem(MountSpec m)
    {
        if (m.Target.Length == 0) return "field Target must not be empty";
        if (GoText.CleanPath(m.Target) == "/") return "invalid specification: destination can't be '/'";
        if (!m.Target.StartsWith('/')) return $"invalid mount path: '{m.Target}' mount path must be absolute";
        switch (m.Type)
        {
            case "bind":
                if (m.Source.Length == 0) return "field Source must not be empty";
                if (m.BindOptions is { Propagation.Length: > 0 } b && !VolumeSpec.Propagations.Contains(b.Propagation))
                    return $"invalid propagation mode: {b.Propagation}";
                if (m.VolumeOptions is not null) return "field VolumeOptions must not be specified";
                if (!m.Source.StartsWith('/')) return $"invalid mount path: '{m.Source}' mount path must be absolute";
                return null;
            case "volume":
                if (m.BindOptions is not null) return "field BindOptions must not be specified";
                if (m.ReadOnly && m.Source.Length == 0) return "must not set ReadOnly mode when using anonymous volumes";
                return null;
            case "tmpfs":
                if (m.BindOptions is not null) return "field BindOptions must not be specified";
                if (m.Source.Length != 0) return "field Source must not be specified";
                return null;
            default:
                return "mount type unknown";
        }
    }

    private static FormatException Unsupported(string key) => new($"mount option '{key}' is not supported");

    private static bool ParseBool(string key, string val) =>
        GoText.ParseBoolOr(val, () => new FormatException($"invalid value for {key}: {val}"));

    // strconv.ParseUint(val, 8, 32) into an os.FileMode.
    private static bool TryOctal(string s, out int value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 11) return false;
        long v = 0;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') return false;
            v = v * 8 + (c - '0');
        }
        if (v > uint.MaxValue || v > int.MaxValue) return false;
        value = (int)v;
        return true;
    }

    /// <summary>
    /// One record of Go's encoding/csv (comma-separated, a field may be double-quoted with "" for a
    /// quote; reading stops at the first unquoted newline), with its error texts.
    /// </summary>
    internal static List<string> ReadCsvRecord(string text)
    {
        if (text.Length == 0) throw new FormatException("EOF");
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            if (i < text.Length && text[i] == '"')
            {
                int start = i++;
                while (true)
                {
                    if (i >= text.Length) throw CsvError(start + 1, "extraneous or missing \" in quoted-field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                    throw CsvError(i + 1, "extraneous or missing \" in quoted-field");
            }
            else
            {
                while (i < text.Length && text[i] != ',' && text[i] != '\n')
                {
                    if (text[i] == '"') throw CsvError(i + 1, "bare \" in non-quoted-field");
                    field.Append(text[i++]);
                }
                if (field.Length > 0 && field[^1] == '\r' && (i >= text.Length || text[i] == '\n')) field.Length--;
            }
            fields.Add(field.ToString());
            if (i < text.Length && text[i] == ',') { i++; continue; }
            return fields;
        }
    }

    private static FormatException CsvError(int column, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"parse error on line 1, column {column}: {what}"));
}
