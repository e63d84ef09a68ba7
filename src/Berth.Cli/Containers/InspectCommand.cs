using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Cli.Images;
using Berth.Engine.Containers;
using Berth.Engine.Model;
using Berth.Images;

namespace Berth.Cli.Containers;

/// <summary>docker inspect (containers first, then images) and docker container inspect.</summary>
public static class InspectCommand
{
    public static Command Build(bool containersOnly)
    {
        var names = new Argument<string[]>("NAME|ID") { Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json, or a Go template" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        var type = new Option<string?>("--type") { Description = "container or image" };
        var c = new Command("inspect", "Return low-level information on Docker objects") { names, format, size };
        if (!containersOnly) c.Options.Add(type);
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var engine = ContainerCli.Engine(p);
            var results = new JsonArray();
            int status = 0;
            string? only = containersOnly ? "container" : p.GetValue(type);
            foreach (var name in p.GetValue(names)!)
            {
                JsonNode? node = null;
                if (only is null or "container")
                {
                    try
                    {
                        var container = engine.Get(name);
                        var obj = (JsonObject)ContainerCli.ToNode(container);
                        obj.Remove("HasBeenManuallyStopped");
                        if (p.GetValue(size))
                        {
                            long rw = PsCommand.DirectorySize(Path.Combine(engine.Store.DirOf(container.Id), "diff"));
                            obj["SizeRw"] = rw;
                            obj["SizeRootFs"] = rw + (engine.Images.TryGet(container.Image)?.Size ?? 0);
                        }
                        node = obj;
                    }
                    catch (NoSuchContainerException) { }
                }
                if (node is null && only is null or "image" && engine.Images.TryGet(name) is { } image)
                    node = (JsonNode)ImageInspect.Build(engine.Images, image);
                if (node is null)
                {
                    Console.Error.WriteLine($"Error: No such {(only ?? "object")}: {name}");
                    status = 1;
                    continue;
                }
                results.Add(node);
            }
            string? f = p.GetValue(format);
            if (f is null or "json" || f.Length == 0)
            {
                if (f == "json") foreach (var r in results) Console.WriteLine(r!.ToJsonString());
                else Console.WriteLine(results.ToJsonString(ImageInspectCommand.Indented));
            }
            else
            {
                var template = GoTemplate.Parse(f);
                foreach (var r in results) Console.WriteLine(template.Render(r));
            }
            return status;
        }));
        return c;
    }
}
