using System.Text.Json;
using Berth.Engine.Model;
using Berth.Linux;

namespace Berth.Engine.Events;

/// <summary>
/// The engine's event stream, daemonless: every berth process and monitor appends one JSON line
/// per event to events.log under the root (O_APPEND: each line lands whole), and `berth events`
/// reads and follows the file. When the file passes 1 MiB the writer that notices moves it to
/// events.log.1, so the history kept is bounded.
/// </summary>
public sealed class EventLog(string root)
{
    private const long MaxSize = 1 << 20;
    public string FilePath { get; } = Path.Combine(root, "events.log");

    public DroppableJsonContext<EventWriteJson> WriteJson { get; } = new(EventWriteJson.Default, o => new EventWriteJson(o));

    public void Container(Container c, string action, Dictionary<string, string>? extra = null)
    {
        var attributes = new Dictionary<string, string>
        {
            ["image"] = c.Config.Image.Length > 0 ? c.Config.Image : c.Image,
            ["name"] = c.PlainName,
        };
        foreach (var (k, v) in c.Config.Labels ?? []) attributes.TryAdd(k, v);
        foreach (var (k, v) in extra ?? []) attributes[k] = v;
        Append(new EngineEvent
        {
            Status = action, Id = c.Id, From = attributes["image"], Type = "container", Action = action,
            Actor = new EventActor { ID = c.Id, Attributes = attributes },
        });
    }

    public void Append(EngineEvent e)
    {
        var now = DateTime.UtcNow;
        long nanos = (now - DateTime.UnixEpoch).Ticks * 100;
        e.Time = nanos / 1_000_000_000;
        e.TimeNano = nanos;
        var line = JsonSerializer.SerializeToUtf8Bytes(e, WriteJson.Context.EngineEvent);
        try
        {
            int fd = Libc.open(FilePath, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC, 0x1a0);
            if (fd < 0) return;   // events are best effort: they never fail the operation they report
            try
            {
                Libc.WriteAll(fd, [.. line, (byte)'\n'], "write events");
                if (new FileInfo(FilePath).Length > MaxSize) File.Move(FilePath, FilePath + ".1", overwrite: true);
            }
            finally { Libc.close(fd); }
        }
        catch (IOException) { }
        catch (SyscallException) { }
    }

    /// <summary>The events stored now with a time in [since, until], oldest first; the position to follow from.</summary>
    public List<EngineEvent> Read(DateTime? since, DateTime? until, out long position)
    {
        var events = new List<EngineEvent>();
        position = 0;
        foreach (var path in new[] { FilePath + ".1", FilePath })
        {
            if (!File.Exists(path)) continue;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            ReadFrom(stream, events, since, until);
            if (path == FilePath) position = stream.Position;
        }
        return events;
    }

    public static void ReadFrom(Stream stream, List<EngineEvent> into, DateTime? since, DateTime? until) =>
        Logs.LogReader.ReadLines(stream, line =>
        {
            EngineEvent? e;
            try { e = JsonSerializer.Deserialize(line, EventJson.Default.EngineEvent); }
            catch (JsonException) { return; }
            if (e is null) return;
            var time = DateTime.UnixEpoch.AddTicks(e.TimeNano / 100);
            if ((since is null || time >= since) && (until is null || time <= until)) into.Add(e);
        });
}
