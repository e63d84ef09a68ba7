using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Images;

namespace Berth.Cli.Images;

/// <summary>docker image inspect: a JSON array of the images, or one --format line per image.</summary>
public static class ImageInspectCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json, or a Go template" };
        var c = new Command("inspect", "Display detailed information on one or more images") { names, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var service = new ImageService(EngineCli.Storage(p));
            var results = new JsonArray();
            int status = 0;
            foreach (var name in p.GetValue(names)!)
            {
                try { results.Add((JsonNode)ImageInspect.Build(service, service.Get(name))); }
                catch (ImageException e) { Console.Error.WriteLine("Error: " + e.Message); status = 1; }
            }
            string? f = p.GetValue(format);
            if (f is null or "json" || f.Length == 0)
            {
                if (f == "json") foreach (var r in results) Console.WriteLine(r!.ToJsonString());
                else Console.WriteLine(results.ToJsonString(Indented));
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

    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, IndentSize = 4,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
