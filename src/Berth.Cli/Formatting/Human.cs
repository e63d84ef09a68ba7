using System.Globalization;

namespace Berth.Cli.Formatting;

/// <summary>Sizes and durations the way docker prints them (decimal units, "2 weeks ago").</summary>
public static class Human
{
    private static readonly string[] s_units = ["B", "kB", "MB", "GB", "TB", "PB"];

    /// <summary>Three significant digits, decimal units: 4.26MB, 124MB, 512B.</summary>
    public static string Size(double bytes)
    {
        int unit = 0;
        while (bytes >= 1000 && unit < s_units.Length - 1) { bytes /= 1000; unit++; }
        return bytes.ToString("G3", CultureInfo.InvariantCulture) + s_units[unit];
    }

    public static string Duration(TimeSpan d)
    {
        double s = d.TotalSeconds;
        if (s < 1) return "Less than a second";
        if (s < 60) return (int)s == 1 ? "1 second" : $"{(int)s} seconds";
        double m = d.TotalMinutes;
        if (m < 60) return (int)m == 1 ? "About a minute" : $"{(int)m} minutes";
        double h = d.TotalHours;
        if (Math.Round(h) == 1) return "About an hour";
        if (h < 48) return $"{(int)h} hours";
        if (h < 24 * 7 * 2) return $"{(int)(h / 24)} days";
        if (h < 24 * 30 * 2) return $"{(int)(h / 24 / 7)} weeks";
        if (h < 24 * 365 * 2) return $"{(int)(h / 24 / 30)} months";
        return $"{(int)(h / 24 / 365)} years";
    }

    public static string Ago(DateTimeOffset? when) =>
        when is { } t && t.Year > 1 ? Duration(DateTimeOffset.UtcNow - t) + " ago" : "N/A";
}

/// <summary>Columns padded like Go's tabwriter with docker's settings (padding 3).</summary>
public sealed class TableWriter
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void WriteTo(TextWriter output)
    {
        if (_rows.Count == 0) return;
        int columns = _rows.Max(r => r.Length);
        var widths = new int[columns];
        foreach (var row in _rows)
            for (int i = 0; i < row.Length - 1; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var sb = new System.Text.StringBuilder();
        foreach (var row in _rows)
        {
            sb.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                sb.Append(row[i]);
                if (i < row.Length - 1) sb.Append(' ', widths[i] - row[i].Length + 3);
            }
            output.WriteLine(sb.ToString().TrimEnd());
        }
    }
}
