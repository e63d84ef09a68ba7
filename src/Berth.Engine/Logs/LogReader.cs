using System.Text;
using System.Text.Json;

namespace Berth.Engine.Logs;

/// <summary>One entry of a json-file log.</summary>
public readonly record struct LogEntry(int Stream, DateTime Time, byte[] Line);

/// <summary>
/// Reads a container's json-file log (rotated files oldest first) for `logs`: --tail, --since,
/// --until, and --follow, which keeps reading what the monitor appends until the container stops.
/// </summary>
public static class LogReader
{
    public static IEnumerable<string> Files(string path)
    {
        var rotated = new List<(int N, string Path)>();
        string dir = Path.GetDirectoryName(path)!, name = Path.GetFileName(path);
        if (Directory.Exists(dir))
            foreach (var f in Directory.EnumerateFiles(dir, name + ".*"))
                if (f.Length > path.Length + 1 && int.TryParse(f[(path.Length + 1)..], out int n)) rotated.Add((n, f));
        foreach (var (_, f) in rotated.OrderByDescending(r => r.N)) yield return f;
        if (File.Exists(path)) yield return path;
    }

    /// <summary>Every entry stored now, oldest first, within the time bounds; the last <paramref name="tail"/> when tail ≥ 0.</summary>
    public static List<LogEntry> Read(string path, DateTime? since, DateTime? until, int tail)
    {
        var entries = new List<LogEntry>();
        foreach (var file in Files(path))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            ReadFrom(stream, entries, since, until);
        }
        if (tail >= 0 && entries.Count > tail) entries.RemoveRange(0, entries.Count - tail);
        return entries;
    }

    public static void ReadFrom(Stream stream, List<LogEntry> into, DateTime? since, DateTime? until) =>
        ReadLines(stream, line =>
        {
            if (Parse(line) is { } e && (since is null || e.Time >= since) && (until is null || e.Time <= until)) into.Add(e);
        });

    /// <summary>
    /// The whole lines of a file being appended to (a json-file log, the event log), from the
    /// stream's position; a partial last line is left for the next read, the position before it.
    /// </summary>
    public static void ReadLines(Stream stream, Action<ReadOnlySpan<byte>> onLine)
    {
        var pending = new MemoryStream();
        var buffer = new byte[64 * 1024];
        long consumed = stream.Position;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != '\n') continue;
                pending.Write(buffer, start, i - start);
                consumed += pending.Length + 1;
                onLine(pending.GetBuffer().AsSpan(0, (int)pending.Length));
                pending.SetLength(0);
                start = i + 1;
            }
            pending.Write(buffer, start, n - start);
        }
        stream.Position = consumed;
    }

    private static LogEntry? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            string? log = null;
            int stream = 0;
            DateTime time = default;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                if (reader.ValueTextEquals("log")) { reader.Read(); log = reader.GetString(); }
                else if (reader.ValueTextEquals("stream")) { reader.Read(); stream = reader.ValueTextEquals("stderr") ? 1 : 0; }
                else if (reader.ValueTextEquals("time")) { reader.Read(); time = DateTime.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal); }
                else reader.Skip();
            }
            return log is null ? null : new LogEntry(stream, time, Encoding.UTF8.GetBytes(log));
        }
        catch (JsonException) { return null; }
        catch (FormatException) { return null; }
    }
}
