using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Containers;
using Berth.Engine.Model;

namespace Berth.Cli.Containers;

/// <summary>
/// docker stats [-a] [--no-stream] [--no-trunc] [--format F] [CONTAINER…]: CPU, memory, network,
/// block I/O and pids of containers, read from their cgroups.
/// <para>
/// CPU % is a rate, so it needs two reads: each frame compares the container's CPU time with the
/// host's over the last second. With --no-stream the containers are read twice, one second apart,
/// and printed once — the equivalent of docker's daemon, which answers a non-streaming request only
/// after its second read so that precpu_stats is filled. Without it, the screen is cleared and the
/// table printed every second until Ctrl-C. Without names, the running containers (-a: all) are
/// listed again at each frame, so containers that start or stop come and go.
/// </para>
/// </summary>
public static class StatsCommand
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["Container"] = "CONTAINER", ["ID"] = "CONTAINER ID", ["Name"] = "NAME", ["CPUPerc"] = "CPU %",
        ["MemUsage"] = "MEM USAGE / LIMIT", ["MemPerc"] = "MEM %", ["NetIO"] = "NET I/O", ["BlockIO"] = "BLOCK I/O", ["PIDs"] = "PIDS",
    };

    private static readonly (string, string)[] s_columns =
    [
        ("ID", "CONTAINER ID"), ("Name", "NAME"), ("CPUPerc", "CPU %"), ("MemUsage", "MEM USAGE / LIMIT"), ("MemPerc", "MEM %"),
        ("NetIO", "NET I/O"), ("BlockIO", "BLOCK I/O"), ("PIDs", "PIDS"),
    ];

    public static Command Build()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
        var format = new Option<string?>("--format") { Description = "table, json, or a Go template" };
        var c = new Command("stats", "Display a live stream of container(s) resource usage statistics") { names, all, noStream, noTrunc, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var engine = ContainerCli.Engine(p);
            var given = p.GetValue(names) ?? [];
            bool showAll = p.GetValue(all);
            // Named containers must exist (docker fails at once); they are then followed by id.
            var named = given.Select(n => (Reference: n, Id: engine.Get(n).Id)).ToList();
            List<(string? Reference, Container Container)> Targets()
            {
                var targets = new List<(string?, Container)>();
                foreach (var (reference, id) in named)
                {
                    try { targets.Add((reference, engine.Get(id))); }
                    catch (NoSuchContainerException) { }   // removed meanwhile: it drops out
                }
                if (named.Count > 0) return targets;
                foreach (var x in engine.List())
                    if (showAll || x.State.Running || x.State.Paused || x.State.Restarting) targets.Add((null, x));
                return targets;
            }
            bool trunc = !p.GetValue(noTrunc);
            string? template = p.GetValue(format);
            var previous = new Dictionary<string, ContainerStats>();
            foreach (var (_, x) in Targets()) previous[x.Id] = engine.Stats(x);
            if (p.GetValue(noStream))
            {
                Thread.Sleep(s_interval);
                WriteFrame(engine, Targets(), previous, trunc, template, clear: false);
                return 0;
            }
            var interrupted = EngineCli.Interrupt();
            while (!interrupted.WaitHandle.WaitOne(s_interval))
                previous = WriteFrame(engine, Targets(), previous, trunc, template, clear: true);
            return 130;
        }));
        return c;
    }

    /// <summary>Reads the targets, prints one table against the reads before, and returns this frame's reads.</summary>
    private static Dictionary<string, ContainerStats> WriteFrame(ContainerEngine engine, List<(string? Reference, Container Container)> targets,
        Dictionary<string, ContainerStats> previous, bool trunc, string? template, bool clear)
    {
        var now = new Dictionary<string, ContainerStats>();
        var rows = new List<JsonObject>();
        foreach (var (reference, x) in targets)
        {
            var s = engine.Stats(x);
            now[x.Id] = s;
            rows.Add(Row(reference, s, previous.GetValueOrDefault(x.Id), trunc));
        }
        var text = new StringWriter();
        // docker's clearing of a streamed frame: erase the screen, cursor home.
        if (clear) text.Write("\u001b[2J\u001b[H");
        FormatOption.Write(text, template, rows, s_columns, s_headers);
        Console.Out.Write(text.ToString());
        Console.Out.Flush();
        return now;
    }

    private static JsonObject Row(string? reference, ContainerStats s, ContainerStats? before, bool trunc)
    {
        string id = trunc ? s.Id[..12] : s.Id;
        return new JsonObject
        {
            ["BlockIO"] = Human.Size(s.BlockRead) + " / " + Human.Size(s.BlockWrite),
            ["CPUPerc"] = Percent(ContainerStats.CpuPercent(before, s)),
            ["Container"] = reference ?? id,
            ["ID"] = id,
            ["MemPerc"] = Percent(s.MemoryPercent),
            ["MemUsage"] = BinarySize(s.MemoryUsage) + " / " + BinarySize(s.MemoryLimit),
            ["Name"] = s.Name,
            ["NetIO"] = s.Network is { } net ? Human.Size(net.Rx) + " / " + Human.Size(net.Tx) : "--",
            ["PIDs"] = s.Pids.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static string Percent(double value) => value.ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static readonly string[] s_binaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>docker's memory sizes (go-units BytesSize): four significant digits, 1024-based units: 1.5MiB, 7.657GiB, 0B.</summary>
    private static string BinarySize(double bytes)
    {
        int unit = 0;
        while (bytes >= 1024 && unit < s_binaryUnits.Length - 1) { bytes /= 1024; unit++; }
        return bytes.ToString("G4", CultureInfo.InvariantCulture) + s_binaryUnits[unit];
    }
}
