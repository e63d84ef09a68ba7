using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Containers;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Cli.Images;
using Berth.Engine.Volumes;

namespace Berth.Cli.Volumes;

/// <summary>docker volume inspect [-f FORMAT] VOLUME…: the volumes as a JSON array, or each through a Go template.</summary>
public static class VolumeInspectCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json, or a Go template" };
        var c = new Command("inspect", "Display detailed information on one or more volumes") { names, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var engine = ContainerCli.Engine(p);
            var results = new JsonArray();
            var missing = new List<string>();
            foreach (string name in p.GetValue(names)!)
            {
                if (engine.Volumes.TryGet(name) is { } v) results.Add((JsonNode)ToNode(v));
                else missing.Add(name);
            }
            string? f = p.GetValue(format);
            if (f is null or "")
                Console.WriteLine(results.ToJsonString(ImageInspectCommand.Indented));
            else if (f == "json")
                foreach (var r in results) Console.WriteLine(r!.ToJsonString());
            else
            {
                var template = GoTemplate.Parse(f);
                foreach (var r in results) Console.WriteLine(template.Render(r));
            }
            foreach (string name in missing) Console.Error.WriteLine($"Error: get {name}: no such volume");
            return missing.Count > 0 ? 1 : 0;
        }));
        return c;
    }

    /// <summary>The volume as docker shows it: CreatedAt to the second in local time, no labels or options as null.</summary>
    public static JsonObject ToNode(Volume v) => new()
    {
        ["CreatedAt"] = v.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture).Replace("+00:00", "Z"),
        ["Driver"] = v.Driver,
        ["Labels"] = v.Labels.Count == 0 ? null : new JsonObject(v.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["Mountpoint"] = v.Mountpoint,
        ["Name"] = v.Name,
        ["Options"] = v.Options.Count == 0 ? null : new JsonObject(v.Options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["Scope"] = v.Scope,
    };
}
