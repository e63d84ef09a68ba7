using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Images;
using Berth.Images.Content;

namespace Berth.Cli.Images;

/// <summary>docker history: the config's history, newest first, with each layer's size.</summary>
public static class HistoryCommand
{
    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["ID"] = "IMAGE", ["CreatedSince"] = "CREATED", ["CreatedAt"] = "CREATED AT", ["CreatedBy"] = "CREATED BY",
        ["Size"] = "SIZE", ["Comment"] = "COMMENT",
    };

    public static Command Build(string verb)
    {
        var name = new Argument<string>("IMAGE");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "only show image IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "don't truncate output" };
        var human = new Option<bool>("--human", "-H") { Description = "sizes and dates in human-readable form", DefaultValueFactory = _ => true };
        var format = new Option<string?>("--format") { Description = "table, json, or a Go template" };
        var c = new Command(verb, "Show the history of an image") { name, quiet, noTrunc, human, format };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var service = new ImageService(EngineCli.Storage(p));
            var image = service.Get(p.GetValue(name)!);
            var config = service.ConfigOf(image);
            bool trunc = !p.GetValue(noTrunc), humanly = p.GetValue(human);
            var history = config.History ?? [];
            var layerSizes = image.Chain.Select(ch => service.Storage.Snapshots.Info(ch)?.Size ?? 0).ToList();
            var rows = new List<JsonObject>();
            int layer = 0;
            var entries = new List<(Berth.Images.Manifests.HistoryEntry Entry, long Size)>();
            foreach (var h in history)
            {
                long size = h.EmptyLayer == true ? 0 : layer < layerSizes.Count ? layerSizes[layer++] : 0;
                entries.Add((h, size));
            }
            for (int i = entries.Count - 1; i >= 0; i--)
            {
                var (h, size) = entries[i];
                string createdBy = h.CreatedBy ?? "";
                if (trunc && createdBy.Length > 45) createdBy = createdBy[..44] + "…";
                rows.Add(new JsonObject
                {
                    ["Comment"] = h.Comment ?? "",
                    ["CreatedAt"] = h.Created?.ToString("yyyy-MM-ddTHH:mm:sszzz") ?? "",
                    ["CreatedBy"] = createdBy,
                    ["CreatedSince"] = humanly ? Human.Ago(h.Created) : h.Created?.ToString("yyyy-MM-ddTHH:mm:sszzz") ?? "",
                    ["ID"] = i == entries.Count - 1 ? (trunc ? Digest.Parse(image.Id).Short : image.Id) : "<missing>",
                    ["Size"] = humanly ? Human.Size(size) : size.ToString(),
                });
            }
            if (p.GetValue(quiet))
            {
                foreach (var r in rows) Console.WriteLine((string)r["ID"]!);
                return 0;
            }
            FormatOption.Write(Console.Out, p.GetValue(format), rows,
                [("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"), ("Comment", "COMMENT")], s_headers);
            return 0;
        }));
        return c;
    }
}
