using System.Text.Json;

namespace Berth.Engine.Options;

/// <summary>What --security-opt values come to: HostConfig.SecurityOpt, and whether systempaths=unconfined asked for no masked or read-only paths.</summary>
public sealed record SecurityOptions(List<string> SecurityOpt, bool UnconfinedSystemPaths);

/// <summary>
/// --security-opt values, KEY=VALUE (or the old KEY:VALUE):
/// <list type="bullet">
/// <item>no-new-privileges[=true|false];</item>
/// <item>seccomp=unconfined|builtin, or seccomp=FILE — the file is read and sent as compact JSON
/// ("seccomp={…}"), as the docker CLI does;</item>
/// <item>systempaths=unconfined — taken out of the list: HostConfig.MaskedPaths and ReadonlyPaths
/// become empty lists;</item>
/// <item>writable-cgroups=true|false;</item>
/// <item>label=disable and apparmor=unconfined are accepted (they ask for what berth does anyway);
/// any other label= or apparmor= is refused: this host has neither SELinux labelling nor AppArmor
/// profiles in berth, and a security option must not be silently dropped.</item>
/// </list>
/// </summary>
public static class SecurityOpts
{
    private const int MaxProfileBytes = 16 * 1024 * 1024;

    public static SecurityOptions Parse(IEnumerable<string> values)
    {
        var result = new List<string>();
        bool unconfined = false;
        foreach (string opt in values)
        {
            int sep = opt.IndexOf('=');
            if (sep < 0 && opt != "no-new-privileges") sep = opt.IndexOf(':');
            string key = sep < 0 ? opt : opt[..sep];
            string value = sep < 0 ? "" : opt[(sep + 1)..];
            if ((sep < 0 || value.Length == 0) && key != "no-new-privileges")
                throw new FormatException($"invalid --security-opt: {GoText.Quote(opt)}");

            switch (key)
            {
                case "no-new-privileges" or "writable-cgroups":
                    if (sep >= 0) GoText.ParseBoolOr(value, () => Invalid2(opt));
                    result.Add(opt);
                    break;
                case "seccomp":
                    result.Add(value is "unconfined" or "builtin" ? opt : "seccomp=" + ReadProfile(value));
                    break;
                case "systempaths":
                    if (value != "unconfined") throw Invalid2(opt);
                    unconfined = true;
                    break;
                case "label":
                    if (value != "disable") throw new FormatException($"invalid --security-opt {GoText.Quote(opt)}: SELinux labels are not supported on this host");
                    result.Add(opt);
                    break;
                case "apparmor":
                    if (value != "unconfined") throw new FormatException($"invalid --security-opt {GoText.Quote(opt)}: AppArmor profiles are not supported on this host");
                    result.Add(opt);
                    break;
                default:
                    throw Invalid2(opt);
            }
        }
        return new SecurityOptions(result, unconfined);
    }

    private static FormatException Invalid2(string opt) => new($"invalid --security-opt 2: {GoText.Quote(opt)}");

    private static string ReadProfile(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxProfileBytes)
                throw new FormatException($"opening seccomp profile ({path}) failed: larger than {MaxProfileBytes} bytes");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FormatException($"opening seccomp profile ({path}) failed: open {path}: no such file or directory");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"opening seccomp profile ({path}) failed: {e.Message}");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
                document.WriteTo(writer);
            return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException($"compacting json for seccomp profile ({path}) failed: {e.Message}");
        }
    }
}
