namespace Berth.Images.Layers;

/// <summary>Layer-relative paths as the unpacker uses them: "a/b/c", no leading "./", no empty or "." components; "" is the root.</summary>
internal static class TarPath
{
    /// <summary>Most components a layer path may have.</summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Normalizes a tar entry name or hardlink target. Returns null and a reason for what a layer must
    /// not contain: an absolute path, a ".." component, a NUL.
    /// </summary>
    public static string? Normalize(string raw, out string? problem)
    {
        problem = null;
        if (raw.Contains('\0')) { problem = "contains a NUL byte"; return null; }
        if (raw.StartsWith('/')) { problem = "is an absolute path"; return null; }

        // Fast path: already clean ("usr/bin/ls", "usr/bin/"), the common case: no allocation beyond a trailing-slash trim.
        bool clean = true;
        int start = 0;
        for (int i = 0; i <= raw.Length; i++)
        {
            if (i < raw.Length && raw[i] != '/') continue;
            var component = raw.AsSpan(start, i - start);
            if (component is "..") { problem = "has a \"..\" component"; return null; }
            if ((component.Length == 0 && i < raw.Length) || component is ".") clean = false;
            start = i + 1;
        }
        if (clean) return raw.EndsWith('/') ? raw[..^1] : raw;

        var parts = new List<string>();
        foreach (string part in raw.Split('/'))
            if (part.Length > 0 && part != ".") parts.Add(part);
        return string.Join('/', parts);
    }

    /// <summary>The parent of a normalized path ("" for a top-level name).</summary>
    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    public static string Join(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;

    /// <summary>
    /// A name as error messages show it: in quotes, control characters escaped (a tar name may hold
    /// a newline; messages are one line), at most 400 characters.
    /// </summary>
    public static string Quote(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 2).Append('"');
        foreach (char c in name.Length > 400 ? name[..400] : name)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (char.IsControl(c)) sb.Append(c == '\0' ? "\\0" : $"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        if (name.Length > 400) sb.Append('…');
        return sb.Append('"').ToString();
    }

    /// <summary>A message made one line: control characters escaped.</summary>
    public static string OneLine(string message)
    {
        if (!message.Any(char.IsControl)) return message;
        var sb = new System.Text.StringBuilder(message.Length);
        foreach (char c in message) sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return sb.ToString();
    }
}
