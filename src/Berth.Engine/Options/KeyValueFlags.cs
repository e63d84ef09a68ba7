using System.Text;

namespace Berth.Engine.Options;

/// <summary>
/// KEY=VALUE flags and files: -e/--env, --env-file, -l/--label, --label-file, --sysctl, with the
/// docker CLI's rules and messages.
/// <para>
/// Files (docker's kvfile format): UTF-8, BOM dropped, leading whitespace of a line dropped, blank
/// lines and lines starting with '#' skipped, KEY=VALUE taken as is (no quote removal, no
/// interpolation, trailing whitespace kept), a KEY without '=' looked up in the caller's environment
/// (env files) and dropped when unset there — label files drop it always. A KEY may not contain
/// blanks; lines longer than 64 KiB are refused (Go's bufio.Scanner limit).
/// </para>
/// </summary>
public static class KeyValueFlags
{
    private const int MaxLine = 64 * 1024;

    /// <summary>
    /// -e KEY=VALUE as given; -e KEY takes the caller's KEY (via <paramref name="lookup"/>) and is
    /// null — left out — when the caller has no KEY. (Docker passes such a bare KEY on, which then
    /// also hides the image's KEY; berth leaves the image's value in place.)
    /// </summary>
    public static string? ParseEnv(string value, Func<string, string?> lookup)
    {
        int eq = value.IndexOf('=');
        string key = eq < 0 ? value : value[..eq];
        if (key.Length == 0) throw new FormatException("invalid environment variable: " + value);
        if (eq >= 0) return value;
        return lookup(key) is { } v ? key + "=" + v : null;
    }

    /// <summary>-l KEY[=VALUE]: the key may not be empty or contain blanks (leading blanks are dropped from the check).</summary>
    public static KeyValuePair<string, string> ParseLabel(string value)
    {
        int eq = value.IndexOf('=');
        string key = eq < 0 ? value : value[..eq];
        string trimmed = key.TrimStart(' ', '\t');
        if (trimmed.Length == 0) throw new FormatException($"invalid label '{value}': empty name");
        if (trimmed.AsSpan().IndexOfAny(' ', '\t') >= 0) throw new FormatException($"label '{trimmed}' contains whitespaces");
        return new(key, eq < 0 ? "" : value[(eq + 1)..]);
    }

    /// <summary>--sysctl KEY=VALUE: the namespaced sysctls docker's CLI allows (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*).</summary>
    public static KeyValuePair<string, string> ParseSysctl(string value)
    {
        int eq = value.IndexOf('=');
        string key = eq < 0 ? "" : value[..eq];
        bool allowed = key is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall"
            or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced"
            || (key.Length > 0 && (key.StartsWith("net.", StringComparison.Ordinal) || key.StartsWith("fs.mqueue.", StringComparison.Ordinal)));
        if (!allowed) throw new FormatException($"sysctl '{value}' is not allowed");
        return new(key, value[(eq + 1)..]);
    }

    /// <summary>The KEY=VALUE lines of an --env-file, bare KEYs resolved through <paramref name="lookup"/>.</summary>
    public static List<string> ReadEnvFile(string path, Func<string, string?> lookup) => ReadFile(path, lookup);

    /// <summary>The KEY=VALUE lines of a --label-file (bare KEYs dropped).</summary>
    public static List<string> ReadLabelFile(string path) => ReadFile(path, null);

    private static List<string> ReadFile(string path, Func<string, string?>? lookup)
    {
        var result = new List<string>();
        using var file = Open(path);
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true);
        int lineNumber = 0;
        foreach (byte[] raw in Lines(file, path))
        {
            lineNumber++;
            string text;
            try { text = decoder.GetString(raw); }
            catch (DecoderFallbackException)
            {
                throw new FormatException($"invalid env file ({path}): invalid utf8 bytes at line {lineNumber}: [{string.Join(' ', raw)}]");
            }
            if (lineNumber == 1 && text.StartsWith('\uFEFF')) text = text[1..];
            string line = text.TrimStart();
            if (line.Length == 0 || line[0] == '#') continue;

            int eq = line.IndexOf('=');
            string key = eq < 0 ? line : line[..eq];
            if (key.Length == 0) throw new FormatException($"invalid env file ({path}): no variable name on line '{line}'");
            if (key.AsSpan().IndexOfAny(' ', '\t') >= 0) throw new FormatException($"invalid env file ({path}): variable '{key}' contains whitespaces");
            if (eq >= 0) result.Add(line);
            else if (lookup?.Invoke(key) is { } value) result.Add(key + "=" + value);
        }
        return result;
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FormatException($"open {path}: no such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new FormatException(Directory.Exists(path) ? $"read {path}: is a directory" : $"open {path}: permission denied");
        }
        catch (IOException e)
        {
            throw new FormatException($"open {path}: {e.Message}");
        }
    }

    // Lines split on '\n' with a trailing '\r' dropped, as bufio.ScanLines does; bounded in length.
    private static IEnumerable<byte[]> Lines(Stream stream, string path)
    {
        var line = new List<byte>();
        var buffer = new byte[8192];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    yield return EndLine(line);
                    continue;
                }
                line.Add(buffer[i]);
                if (line.Count > MaxLine) throw new FormatException($"invalid env file ({path}): bufio.Scanner: token too long");
            }
        }
        if (line.Count > 0) yield return EndLine(line);
    }

    private static byte[] EndLine(List<byte> line)
    {
        if (line.Count > 0 && line[^1] == (byte)'\r') line.RemoveAt(line.Count - 1);
        byte[] bytes = [.. line];
        line.Clear();
        return bytes;
    }
}
