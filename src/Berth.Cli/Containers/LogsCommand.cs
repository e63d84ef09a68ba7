using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Engine.Logs;
using Berth.Engine.Model;

namespace Berth.Cli.Containers;

/// <summary>docker logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER: stdout entries to stdout, stderr to stderr.</summary>
public static class LogsCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("CONTAINER");
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string>("--tail", "-n") { Description = "Number of lines to show from the end of the logs", DefaultValueFactory = _ => "all" };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" };
        var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative time" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var details = new Option<bool>("--details") { Description = "Show extra details provided to logs" };
        var c = new Command("logs", "Fetch the logs of a container") { name, follow, tail, since, until, timestamps, details };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var engine = ContainerCli.Engine(p);
            var container = engine.Get(p.GetValue(name)!);
            if (container.HostConfig.LogConfig.Type == "none" || container.LogPath.Length == 0)
                throw new InvalidOperationException("configured logging driver does not support reading");
            string tailText = p.GetValue(tail)!;
            int tailCount = tailText == "all" ? -1 : int.TryParse(tailText, out int t) && t >= 0 ? t : -1;
            DateTime? from = p.GetValue(since) is { } s ? ParseTime(s) : null;
            DateTime? to = p.GetValue(until) is { } u ? ParseTime(u) : null;
            bool stamps = p.GetValue(timestamps);
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            foreach (var e in LogReader.Read(container.LogPath, from, to, tailCount)) Write(e, stamps, stdout, stderr);
            if (!p.GetValue(follow) || !(container.State.Running || container.State.Restarting)) return 0;
            Follow(engine, container, to, stamps, stdout, stderr);
            return 0;
        }));
        return c;
    }

    private static void Write(LogEntry e, bool stamps, Stream stdout, Stream stderr)
    {
        var target = e.Stream == 0 ? stdout : stderr;
        if (stamps) target.Write(System.Text.Encoding.ASCII.GetBytes(Rfc3339Converter.Format(e.Time) + " "));
        target.Write(e.Line);
        target.Flush();
    }

    /// <summary>Reads what the monitor appends (reopening the file after a rotation) until the container stops.</summary>
    private static void Follow(Berth.Engine.Containers.ContainerEngine engine, Container container, DateTime? until, bool stamps, Stream stdout, Stream stderr)
    {
        var stream = new FileStream(container.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(0, SeekOrigin.End);
        var entries = new List<LogEntry>();
        try
        {
            while (true)
            {
                LogReader.ReadFrom(stream, entries, null, until);
                foreach (var e in entries) Write(e, stamps, stdout, stderr);
                entries.Clear();
                var now = engine.Store.TryLoad(container.Id);
                if (now is null || !(now.State.Running || now.State.Restarting))
                {
                    LogReader.ReadFrom(stream, entries, null, until);
                    foreach (var e in entries) Write(e, stamps, stdout, stderr);
                    return;
                }
                if (File.Exists(container.LogPath) && new FileInfo(container.LogPath).Length < stream.Position)
                {
                    stream.Dispose();
                    stream = new FileStream(container.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                }
                Thread.Sleep(100);
            }
        }
        finally { stream.Dispose(); }
    }

    /// <summary>docker's time arguments: RFC 3339 or a date, Unix seconds, or a duration back from now (10m, 1h30m).</summary>
    public static DateTime ParseTime(string text)
    {
        if (DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var t)) return t;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double unix))
            return DateTime.UnixEpoch.AddSeconds(unix);
        return DateTime.UtcNow - TimeSpan.FromTicks(Berth.Engine.Options.Units.ParseDuration(text) / 100);
    }
}
