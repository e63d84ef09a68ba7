using System.CommandLine;
using System.Text.Json;
using Berth.Runtime;
using Berth.Runtime.Cgroups;

namespace Berth.Cli.Runtime;

/// <summary>`events [--stats] [--interval 5s] ID`: resource usage as runc prints it, and OOM kills as they happen.</summary>
public static class EventsCommand
{
    public static Command Build()
    {
        var stats = new Option<bool>("--stats") { Description = "print the stats once and exit" };
        var interval = new Option<string>("--interval") { Description = "stats interval (e.g. 5s, 500ms)", DefaultValueFactory = _ => "5s" };
        var id = new Argument<string>("container-id");
        var c = new Command("events", "display container events such as OOM notifications and usage statistics") { stats, interval, id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            string containerId = p.GetValue(id)!;
            var data = rt.Stats(containerId, out ulong ooms);
            if (p.GetValue(stats))
            {
                Print("stats", containerId, data);
                return 0;
            }
            var every = Duration(p.GetValue(interval)!);
            while (true)
            {
                Print("stats", containerId, data);
                var until = DateTime.UtcNow + every;
                while (DateTime.UtcNow < until)
                {
                    Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(200, every.TotalMilliseconds)));
                    // The OOM count first: the kill that stopped the container is reported before the stream ends.
                    ulong now = rt.OomKills(containerId);
                    if (now > ooms) Print("oom", containerId, null);
                    ooms = now;
                    try { data = rt.Stats(containerId, out _); }
                    catch (RuntimeException) { return 0; } // stopped: the stream ends
                }
            }
        }));
        return c;
    }

    private static void Print(string type, string id, CgroupStats? data)
    {
        string head = $"{{\"type\":{JsonSerializer.Serialize(type, CliJsonContext.Default.String)},\"id\":{JsonSerializer.Serialize(id, CliJsonContext.Default.String)}";
        Console.WriteLine(data is null ? head + "}" : head + ",\"data\":" + JsonSerializer.Serialize(data, CgroupStatsJsonContext.Default.CgroupStats) + "}");
    }

    private static TimeSpan Duration(string text)
    {
        text = text.Trim();
        double Value(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            if (text.EndsWith("ms")) return TimeSpan.FromMilliseconds(Value(text[..^2]));
            if (text.EndsWith('s')) return TimeSpan.FromSeconds(Value(text[..^1]));
            if (text.EndsWith('m')) return TimeSpan.FromMinutes(Value(text[..^1]));
            return TimeSpan.FromSeconds(Value(text));
        }
        catch (FormatException) { throw new RuntimeException($"--interval: invalid duration \"{text}\""); }
    }
}
