using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Events;

namespace Berth.Cli.Containers;

/// <summary>
/// docker events [--since T] [--until T] [--filter K=V]… [--format F]: the stored events in the
/// time range, then (without --until) the new ones as they come, until interrupted.
/// </summary>
public static class EventsCommand
{
    public static Command Build()
    {
        var since = new Option<string?>("--since") { Description = "Show all events created since timestamp" };
        var until = new Option<string?>("--until") { Description = "Stream events until this timestamp" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "container=, event=, type=, image=, label=" };
        var format = new Option<string?>("--format") { Description = "json, or a Go template" };
        var c = new Command("events", "Get real time events from the server") { since, until, filter, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var log = ContainerCli.Engine(p).Events;
            DateTime? from = p.GetValue(since) is { } s ? LogsCommand.ParseTime(s) : null;
            DateTime? to = p.GetValue(until) is { } u ? LogsCommand.ParseTime(u) : null;
            var filters = (p.GetValue(filter) ?? []).Select(f =>
            {
                int eq = f.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"bad format of filter (expected name=value): {f}");
                return (Key: f[..eq], Value: f[(eq + 1)..]);
            }).ToList();
            var template = p.GetValue(format) is { Length: > 0 } f && f != "json" ? GoTemplate.Parse(f) : null;
            bool json = p.GetValue(format) == "json";
            void Print(EngineEvent e)
            {
                if (!filters.GroupBy(x => x.Key).All(g => g.Any(x => Matches(e, x.Key, x.Value)))) return;
                if (json) Console.WriteLine(JsonSerializer.Serialize(e, EventJson.Default.EngineEvent));
                else if (template is not null) Console.WriteLine(template.Render(JsonSerializer.SerializeToNode(e, EventJson.Default.EngineEvent)));
                else
                {
                    var time = DateTime.UnixEpoch.AddTicks(e.TimeNano / 100).ToLocalTime();
                    string attributes = string.Join(", ", e.Actor.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));
                    Console.WriteLine($"{time:yyyy-MM-ddTHH:mm:ss.fffffff00zzz} {e.Type} {e.Action} {e.Actor.ID} ({attributes})");
                }
                Console.Out.Flush();
            }
            var stored = log.Read(from, to, out long position);
            foreach (var e in stored) Print(e);
            if (to is not null && to <= DateTime.UtcNow) return 0;
            var cancel = EngineCli.Interrupt();
            var pending = new List<EngineEvent>();
            while (!cancel.IsCancellationRequested && (to is null || DateTime.UtcNow < to))
            {
                if (File.Exists(log.FilePath))
                {
                    using var stream = new FileStream(log.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (stream.Length < position) position = 0;   // moved to events.log.1 meanwhile
                    stream.Position = position;
                    EventLog.ReadFrom(stream, pending, null, to);
                    position = stream.Position;
                }
                foreach (var e in pending) Print(e);
                pending.Clear();
                cancel.WaitHandle.WaitOne(100);
            }
            return 0;
        }));
        return c;
    }

    private static bool Matches(EngineEvent e, string key, string value) => key switch
    {
        "container" => e.Actor.ID.StartsWith(value, StringComparison.Ordinal) || e.Actor.Attributes.GetValueOrDefault("name") == value,
        "event" => e.Action == value || e.Action.StartsWith(value + ":", StringComparison.Ordinal),
        "type" => e.Type == value,
        "image" => e.Actor.Attributes.GetValueOrDefault("image") == value,
        "label" => value.IndexOf('=') is var eq and > 0
            ? e.Actor.Attributes.GetValueOrDefault(value[..eq]) == value[(eq + 1)..]
            : e.Actor.Attributes.ContainsKey(value),
        _ => throw new ArgumentException($"invalid filter '{key}'"),
    };
}
