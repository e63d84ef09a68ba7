using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Images;
using Berth.Images.Content;
using Berth.Images.Store;

namespace Berth.Cli.Images;

/// <summary>docker images / docker image ls: one row per repository tag, untagged images as &lt;none&gt;.</summary>
public static class ImagesCommand
{
    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["ID"] = "IMAGE ID", ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["Digest"] = "DIGEST",
        ["CreatedSince"] = "CREATED", ["CreatedAt"] = "CREATED AT", ["Size"] = "SIZE", ["Containers"] = "CONTAINERS",
        ["SharedSize"] = "SHARED SIZE", ["UniqueSize"] = "UNIQUE SIZE", ["VirtualSize"] = "VIRTUAL SIZE",
    };

    public static Command Build(string verb)
    {
        var repository = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all", "-a") { Description = "show all images (intermediate ones too)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "only show image IDs" };
        var digests = new Option<bool>("--digests") { Description = "show digests" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "don't truncate output" };
        var format = new Option<string?>("--format") { Description = "table, json, or a Go template" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE" };
        var c = new Command(verb, "List images") { repository, all, quiet, digests, noTrunc, format, filter };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var service = new ImageService(EngineCli.Storage(p));
            var images = service.List();
            var filters = Filters.Parse(p.GetValue(filter) ?? []);
            var configs = images.ToDictionary(i => i.Id, i => TryConfig(service, i));
            var rows = new List<JsonObject>();
            bool trunc = !p.GetValue(noTrunc);
            foreach (var image in images.OrderByDescending(i => configs[i.Id]?.Created ?? DateTimeOffset.MinValue))
            {
                var config = configs[image.Id];
                if (!filters.Keep(image, config, service)) continue;
                var names = image.RepoTags.Length > 0
                    ? image.RepoTags.Select(t => (Repo: ImageService.Familiar(t)[..ImageService.Familiar(t).LastIndexOf(':')], Tag: t[(t.LastIndexOf(':') + 1)..])).ToList()
                    : image.RepoDigests.Length > 0
                        ? image.RepoDigests.Select(d => (Repo: ImageService.Familiar(d)[..ImageService.Familiar(d).IndexOf('@')], Tag: "<none>")).Distinct().ToList()
                        : [("<none>", "<none>")];
                foreach (var (repo, tag) in names)
                {
                    if (p.GetValue(repository) is { } want && !MatchesRepository(want, repo, tag)) continue;
                    if (!filters.KeepName(repo, tag)) continue;
                    string digest = image.RepoDigests.FirstOrDefault(d => ImageService.Familiar(d).StartsWith(repo + "@", StringComparison.Ordinal)) is { } rd
                        ? rd[(rd.IndexOf('@') + 1)..] : "<none>";
                    rows.Add(new JsonObject
                    {
                        ["Containers"] = "N/A",
                        ["CreatedAt"] = config?.Created?.ToString("yyyy-MM-dd HH:mm:ss zzz") ?? "",
                        ["CreatedSince"] = Human.Ago(config?.Created),
                        ["Digest"] = digest,
                        ["ID"] = trunc ? Digest.Parse(image.Id).Short : image.Id,
                        ["Repository"] = repo,
                        ["SharedSize"] = "N/A",
                        ["Size"] = Human.Size(image.Size),
                        ["Tag"] = tag,
                        ["UniqueSize"] = "N/A",
                        ["VirtualSize"] = Human.Size(image.Size),
                    });
                }
            }
            if (p.GetValue(quiet))
            {
                foreach (var id in rows.Select(r => (string)r["ID"]!).Distinct()) Console.WriteLine(id);
                return 0;
            }
            var columns = new List<(string, string)> { ("Repository", "REPOSITORY"), ("Tag", "TAG") };
            if (p.GetValue(digests)) columns.Add(("Digest", "DIGEST"));
            columns.AddRange([("ID", "IMAGE ID"), ("CreatedSince", "CREATED"), ("Size", "SIZE")]);
            FormatOption.Write(Console.Out, p.GetValue(format), rows, columns, s_headers);
            return 0;
        }));
        return c;
    }

    private static Berth.Images.Manifests.ImageConfig? TryConfig(ImageService service, ImageRecord image)
    {
        try { return service.ConfigOf(image); }
        catch (Exception e) when (e is IOException or Berth.Images.Manifests.ImageFormatException) { return null; }
    }

    private static bool MatchesRepository(string want, string repo, string tag)
    {
        int colon = want.LastIndexOf(':');
        if (colon > want.LastIndexOf('/'))
            return FormatOption.Glob(want[..colon], repo) && FormatOption.Glob(want[(colon + 1)..], tag);
        return FormatOption.Glob(want, repo);
    }

    private sealed class Filters
    {
        private bool? _dangling;
        private readonly List<string> _references = [];
        private readonly List<(string Key, string? Value)> _labels = [];
        private string? _before, _since;

        public static Filters Parse(string[] specs)
        {
            var f = new Filters();
            foreach (var spec in specs)
            {
                int eq = spec.IndexOf('=');
                if (eq <= 0) throw new ImageException($"bad format of filter (expected name=value): {spec}");
                string key = spec[..eq].ToLowerInvariant(), value = spec[(eq + 1)..];
                switch (key)
                {
                    case "dangling":
                        f._dangling = value.ToLowerInvariant() switch
                        {
                            "true" or "1" => true, "false" or "0" => false,
                            _ => throw new ImageException($"invalid filter 'dangling={value}'"),
                        };
                        break;
                    case "reference": f._references.Add(value); break;
                    case "label":
                        int le = value.IndexOf('=');
                        f._labels.Add(le < 0 ? (value, null) : (value[..le], value[(le + 1)..]));
                        break;
                    case "before": f._before = value; break;
                    case "since": f._since = value; break;
                    default: throw new ImageException($"invalid filter '{key}'");
                }
            }
            return f;
        }

        private static DateTimeOffset CreatedOf(ImageService service, string name) =>
            service.ConfigOf(service.Get(name)).Created ?? DateTimeOffset.MinValue;

        /// <summary>reference=PATTERN filters rows: a repository[:tag] that matches one of the patterns.</summary>
        public bool KeepName(string repo, string tag) =>
            _references.Count == 0 || _references.Any(r => FormatOption.Glob(r, repo) || FormatOption.Glob(r, repo + ":" + tag));

        /// <summary>before/since compare the images' creation times, as docker does.</summary>
        public bool Keep(ImageRecord image, Berth.Images.Manifests.ImageConfig? config, ImageService service)
        {
            var labels = config?.Config?.Labels;
            DateTimeOffset created = config?.Created ?? DateTimeOffset.MinValue;
            if (_dangling is { } d && d != (image.RepoTags.Length == 0)) return false;
            foreach (var (key, value) in _labels)
                if (labels is null || !labels.TryGetValue(key, out var have) || (value is not null && have != value)) return false;
            if (_before is not null && !(created < CreatedOf(service, _before))) return false;
            if (_since is not null && !(created > CreatedOf(service, _since))) return false;
            return true;
        }
    }
}
