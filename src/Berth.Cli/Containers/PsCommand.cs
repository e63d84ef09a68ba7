using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Containers;
using Berth.Engine.Model;
using Berth.Images;

namespace Berth.Cli.Containers;

/// <summary>docker ps / container ls: -a -q -n -l -s --filter --format --no-trunc.</summary>
public static class PsCommand
{
    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["ID"] = "CONTAINER ID", ["Image"] = "IMAGE", ["Command"] = "COMMAND", ["CreatedAt"] = "CREATED AT",
        ["RunningFor"] = "CREATED", ["Ports"] = "PORTS", ["State"] = "STATE", ["Status"] = "STATUS", ["Size"] = "SIZE",
        ["Names"] = "NAMES", ["Labels"] = "LABELS", ["Mounts"] = "MOUNTS", ["Networks"] = "NETWORKS", ["LocalVolumes"] = "LOCAL VOLUMES",
    };

    public static Command Build(string verb)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
        var last = new Option<int>("--last", "-n") { Description = "Show n last created containers (includes all states)", DefaultValueFactory = _ => -1 };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var format = new Option<string?>("--format") { Description = "table, json, or a Go template" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "id, name, label, status, exited, ancestor, before, since, volume, health" };
        var c = new Command(verb, "List containers") { all, quiet, last, latest, size, noTrunc, format, filter };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var engine = ContainerCli.Engine(p);
            var list = engine.List();
            int n = p.GetValue(latest) ? 1 : p.GetValue(last);
            bool showAll = p.GetValue(all) || n > 0;
            var filters = ParseFilters(p.GetValue(filter) ?? []);
            var rows = new List<JsonObject>();
            bool trunc = !p.GetValue(noTrunc);
            var kept = list.Where(x => showAll || x.State.Running || x.State.Restarting || x.State.Paused)
                .Where(x => Matches(x, filters, engine, list)).ToList();
            if (n > 0) kept = kept.Take(n).ToList();
            foreach (var x in kept) rows.Add(Row(x, trunc, p.GetValue(size), engine));
            if (p.GetValue(quiet))
            {
                foreach (var r in rows) Console.WriteLine((string)r["ID"]!);
                return 0;
            }
            var columns = new List<(string, string)> { ("ID", "CONTAINER ID"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("RunningFor", "CREATED"), ("Status", "STATUS"), ("Ports", "PORTS"), ("Names", "NAMES") };
            if (p.GetValue(size)) columns.Add(("Size", "SIZE"));
            FormatOption.Write(Console.Out, p.GetValue(format), rows, columns, s_headers);
            return 0;
        }));
        return c;
    }

    private static JsonObject Row(Container x, bool trunc, bool size, ContainerEngine engine)
    {
        string command = "\"" + string.Join(' ', new[] { x.Path }.Concat(x.Args)) + "\"";
        if (trunc && command.Length > 22) command = command[..19] + "…\"";
        string sizeText = "";
        if (size)
        {
            long rw = DirectorySize(Path.Combine(engine.Store.DirOf(x.Id), "diff"));
            long virt = engine.Images.TryGet(x.Image)?.Size ?? 0;
            sizeText = $"{Human.Size(rw)} (virtual {Human.Size(rw + virt)})";
        }
        return new JsonObject
        {
            ["Command"] = command,
            ["CreatedAt"] = x.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz"),
            ["ID"] = trunc ? x.ShortId : x.Id,
            ["Image"] = x.Config.Image.Length > 0 ? x.Config.Image : x.Image,
            ["Labels"] = string.Join(',', (x.Config.Labels ?? []).Select(kv => $"{kv.Key}={kv.Value}")),
            ["LocalVolumes"] = x.Mounts.Count(m => m.Type == "volume").ToString(),
            ["Mounts"] = string.Join(',', x.Mounts.Select(m => m.Name ?? m.Source)),
            ["Names"] = x.PlainName,
            ["Networks"] = x.HostConfig.NetworkMode,
            ["Ports"] = "",
            ["RunningFor"] = Human.Ago(x.Created),
            ["Size"] = sizeText,
            ["State"] = ContainerCli.StateText(x),
            ["Status"] = ContainerCli.StatusText(x),
        };
    }

    public static long DirectorySize(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        long total = 0;
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            if (f.LinkTarget is null) total += f.Length;
        return total;
    }

    private static List<(string Key, string Value)> ParseFilters(string[] filters)
    {
        var list = new List<(string, string)>();
        foreach (var f in filters)
        {
            int eq = f.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"bad format of filter (expected name=value): {f}");
            string key = f[..eq];
            if (key is not ("id" or "name" or "label" or "status" or "exited" or "ancestor" or "before" or "since" or "volume" or "health" or "network" or "is-task"))
                throw new ArgumentException($"invalid filter '{key}'");
            list.Add((key, f[(eq + 1)..]));
        }
        return list;
    }

    // docker's rule: values of one key are alternatives (OR); different keys must all match (AND).
    private static bool Matches(Container x, List<(string Key, string Value)> filters, ContainerEngine engine, List<Container> all)
    {
        foreach (var group in filters.GroupBy(f => f.Key))
        {
            bool any = group.Any(f => f.Key switch
            {
                "id" => x.Id.StartsWith(f.Value, StringComparison.Ordinal),
                "name" => x.PlainName.Contains(f.Value, StringComparison.Ordinal),
                "label" => LabelMatches(x.Config.Labels, f.Value),
                "status" => ContainerCli.StateText(x) == f.Value,
                "exited" => !x.State.Running && x.State.FinishedAt != default && x.State.ExitCode.ToString() == f.Value,
                "ancestor" => AncestorMatches(x, f.Value, engine),
                "before" => Other(f.Value, engine, all) is { } o && x.Created < o.Created,
                "since" => Other(f.Value, engine, all) is { } o && x.Created > o.Created,
                "volume" => x.Mounts.Any(m => m.Name == f.Value || m.Destination == f.Value || m.Source == f.Value),
                "health" => (x.State.Health?.Status ?? "none") == f.Value,
                "network" => x.HostConfig.NetworkMode == f.Value,
                _ => false,
            });
            if (!any) return false;
        }
        return true;
    }

    private static bool LabelMatches(Dictionary<string, string>? labels, string filter)
    {
        int eq = filter.IndexOf('=');
        if (labels is null) return false;
        return eq < 0 ? labels.ContainsKey(filter) : labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }

    private static bool AncestorMatches(Container x, string value, ContainerEngine engine)
    {
        var image = engine.Images.TryGet(value);
        return image is not null ? image.Id == x.Image : x.Config.Image == value;
    }

    private static Container? Other(string reference, ContainerEngine engine, List<Container> all)
    {
        try { string id = engine.Store.Resolve(reference); return all.FirstOrDefault(c => c.Id == id); }
        catch (NoSuchContainerException) { throw new ArgumentException($"No such container: {reference}"); }
    }
}
