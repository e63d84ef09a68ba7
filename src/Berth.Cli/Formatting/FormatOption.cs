using System.Text.Json.Nodes;

namespace Berth.Cli.Formatting;

/// <summary>
/// docker's --format handling for listing commands: "table" (default columns), "table TEMPLATE"
/// (headers from the fields), "json" (one object per line), or a bare template (no header).
/// </summary>
public static class FormatOption
{
    public static void Write(TextWriter output, string? format, IReadOnlyList<JsonObject> rows,
        IReadOnlyList<(string Field, string Header)> defaultColumns, IReadOnlyDictionary<string, string> headers)
    {
        if (format is null or "" or "table")
        {
            var table = new TableWriter();
            table.Add(defaultColumns.Select(c => c.Header).ToArray());
            foreach (var row in rows) table.Add(defaultColumns.Select(c => GoTemplate.Print(row[c.Field])).ToArray());
            table.WriteTo(output);
            return;
        }
        if (format == "json")
        {
            foreach (var row in rows) output.WriteLine(row.ToJsonString());
            return;
        }
        bool isTable = format.StartsWith("table ", StringComparison.Ordinal);
        var template = GoTemplate.Parse(isTable ? format[6..] : format);
        if (!isTable)
        {
            foreach (var row in rows) output.WriteLine(template.Render(row));
            return;
        }
        // A table template: cells are the tab-separated parts; headers come from the fields named.
        var t = new TableWriter();
        t.Add(RenderHeader(format[6..], headers).Split('\t'));
        foreach (var row in rows) t.Add(template.Render(row).Split('\t'));
        t.WriteTo(output);
    }

    private static string RenderHeader(string format, IReadOnlyDictionary<string, string> headers)
    {
        string text = format.Replace("\\t", "\t");
        // {{.Field}} → its header; anything else in an action → its upper-cased field name.
        var sb = new System.Text.StringBuilder();
        int pos = 0;
        while (pos < text.Length)
        {
            int open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0) { sb.Append(text[pos..]); break; }
            sb.Append(text[pos..open]);
            int close = text.IndexOf("}}", open, StringComparison.Ordinal);
            if (close < 0) break;
            string action = text[(open + 2)..close].Trim();
            string field = action.Split(' ').LastOrDefault(w => w.StartsWith('.'))?.TrimStart('.') ?? action;
            sb.Append(headers.TryGetValue(field, out var h) ? h : field.ToUpperInvariant());
            pos = close + 2;
        }
        return sb.ToString();
    }

    /// <summary>path.Match-style glob: *, ? and [..] within one path segment.</summary>
    public static bool Glob(string pattern, string text) => Match(pattern, 0, text, 0);

    private static bool Match(string pattern, int p, string text, int t)
    {
        if (p == pattern.Length) return t == text.Length;
        char c = pattern[p];
        if (c == '*')
        {
            for (int k = t; ; k++)
            {
                if (Match(pattern, p + 1, text, k)) return true;
                if (k == text.Length || text[k] == '/') return false;
            }
        }
        if (t == text.Length) return false;
        if (c == '?') return text[t] != '/' && Match(pattern, p + 1, text, t + 1);
        if (c == '[')
        {
            int end = pattern.IndexOf(']', p + 1);
            if (end < 0) return false;
            string set = pattern[(p + 1)..end];
            bool negate = set.StartsWith('^');
            if (negate) set = set[1..];
            bool hit = false;
            for (int i = 0; i < set.Length; i++)
            {
                if (i + 2 < set.Length && set[i + 1] == '-') { hit |= text[t] >= set[i] && text[t] <= set[i + 2]; i += 2; }
                else hit |= text[t] == set[i];
            }
            return hit != negate && Match(pattern, end + 1, text, t + 1);
        }
        if (c == '\\' && p + 1 < pattern.Length) { p++; c = pattern[p]; }
        return c == text[t] && Match(pattern, p + 1, text, t + 1);
    }
}
