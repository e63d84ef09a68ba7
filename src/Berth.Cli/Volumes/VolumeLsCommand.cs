using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Containers;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Options;
using Berth.Engine.Volumes;

namespace Berth.Cli.Volumes;

/// <summary>docker volume ls [-q] [--filter dangling=|name=|label=|driver=] [--format].</summary>
public static class VolumeLsCommand
{
    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["Name"] = "VOLUME NAME", ["Driver"] = "DRIVER", ["Scope"] = "SCOPE", ["Mountpoint"] = "MOUNTPOINT",
        ["Labels"] = "LABELS", ["Links"] = "LINKS", ["Size"] = "SIZE", ["Availability"] = "AVAILABILITY",
        ["Group"] = "GROUP", ["Status"] = "STATUS",
    };

    public static Command Build()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Provide filter values (e.g. \"dangling=true\")" };
        var format = new Option<string?>("--format") { Description = "table, json, or a Go template" };
        var c = new Command("ls", "List volumes") { quiet, filter, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var filters = FilterFlags.Parse(p.GetValue(filter) ?? [], "dangling", "name", "label", "driver");
            bool? dangling = null;
            foreach (var d in filters.Values("dangling"))
                dangling = d.ToLowerInvariant() switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => throw new ArgumentException($"Invalid filter 'dangling={d}'"),
                };
            var engine = ContainerCli.Engine(p);
            var used = engine.List().SelectMany(x => x.Mounts).Where(m => m.Type == "volume" && m.Name is not null).Select(m => m.Name!).ToHashSet();
            var names = filters.Values("name").ToList();
            var drivers = filters.Values("driver").ToList();
            var volumes = engine.Volumes.List()
                .Where(v => dangling is null || used.Contains(v.Name) != dangling)
                .Where(v => names.Count == 0 || names.Any(n => v.Name.Contains(n, StringComparison.Ordinal)))
                .Where(v => drivers.Count == 0 || drivers.Contains(v.Driver))
                .Where(v => filters.MatchesLabels(v.Labels))
                .ToList();
            if (p.GetValue(quiet))
            {
                foreach (var v in volumes) Console.WriteLine(v.Name);
                return 0;
            }
            FormatOption.Write(Console.Out, p.GetValue(format), volumes.Select(Row).ToList(), [("Driver", "DRIVER"), ("Name", "VOLUME NAME")], s_headers);
            return 0;
        }));
        return c;
    }

    private static JsonObject Row(Volume v) => new()
    {
        ["Availability"] = "N/A",
        ["Driver"] = v.Driver,
        ["Group"] = "N/A",
        ["Labels"] = string.Join(',', v.Labels.Select(kv => $"{kv.Key}={kv.Value}")),
        ["Links"] = "N/A",
        ["Mountpoint"] = v.Mountpoint,
        ["Name"] = v.Name,
        ["Scope"] = v.Scope,
        ["Size"] = "N/A",
        ["Status"] = "N/A",
    };
}
