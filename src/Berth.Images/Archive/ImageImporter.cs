using System.Text.Json;
using Berth.Images.Manifests;

namespace Berth.Images.Archive;

/// <summary>
/// `import`: a root filesystem tar (plain, gzip or zstd) becomes a one-layer image, with the
/// config changes docker's --change takes (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE,
/// VOLUME, STOPSIGNAL).
/// </summary>
public static class ImageImporter
{
    public static Store.ImageRecord Import(ImageService service, Stream input, string? name, IReadOnlyList<string> changes,
        string? message, Platform platform, string source, CancellationToken ct)
    {
        var storage = service.Storage;
        var containerConfig = ApplyChanges(new ContainerConfig(), changes);
        // The layer is stored uncompressed: its digest is its diff id.
        string raw = storage.Content.TempPath(), temp = storage.Content.TempPath();
        try
        {
            // Input may be a pipe: land it in a file, look at its magic bytes, decompress if needed.
            using (var file = File.Create(raw))
                input.CopyTo(file);
            var compression = ImageArchive.Sniff(raw);
            if (compression == LayerCompression.None) File.Move(raw, temp);
            else
            {
                using var compressed = File.OpenRead(raw);
                using var plain = Pull.LayerStreams.Decompress(compressed, compression);
                using var file = File.Create(temp);
                plain.CopyTo(file);
            }
            long size = new FileInfo(temp).Length;
            var diffId = storage.Content.AddFile(temp, move: true);
            var now = DateTimeOffset.UtcNow;
            var config = new ImageConfig
            {
                Created = now,
                Architecture = platform.Architecture,
                Os = platform.Os,
                Variant = platform.Variant,
                Config = containerConfig,
                RootFs = new RootFs { DiffIds = [diffId.ToString()] },
                History = [new HistoryEntry { Created = now, CreatedBy = "berth import", Comment = message ?? "Imported from " + source }],
            };
            byte[] configBytes = JsonSerializer.SerializeToUtf8Bytes(config, ImageJsonContext.Default.ImageConfig);
            var layer = new Descriptor { MediaType = MediaTypes.OciLayer, Digest = diffId.ToString(), Size = size };
            return ImageArchive.StoreNew(service, configBytes, [layer], name is null ? [] : [name], ct);
        }
        finally { File.Delete(temp); File.Delete(raw); }
    }

    /// <summary>Applies docker's --change instructions to a container config.</summary>
    public static ContainerConfig ApplyChanges(ContainerConfig config, IReadOnlyList<string> changes)
    {
        foreach (var change in changes)
        {
            string text = change.Trim();
            int space = text.IndexOfAny([' ', '\t']);
            string keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            string arg = space < 0 ? "" : text[(space + 1)..].Trim();
            if (arg.Length == 0) throw new ImageException($"--change \"{change}\": {keyword} needs an argument");
            config = keyword switch
            {
                "CMD" => config with { Cmd = Command(arg) },
                "ENTRYPOINT" => config with { Entrypoint = Command(arg) },
                "ENV" => config with { Env = MergeEnv(config.Env, Pairs(arg, change)) },
                "WORKDIR" => config with { WorkingDir = arg },
                "USER" => config with { User = arg },
                "LABEL" => config with { Labels = Merge(config.Labels, Pairs(arg, change)) },
                "EXPOSE" => config with { ExposedPorts = AddKeys(config.ExposedPorts, arg.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Contains('/') ? p : p + "/tcp")) },
                "VOLUME" => config with { Volumes = AddKeys(config.Volumes, arg.StartsWith('[') ? JsonList(arg) : arg.Split(' ', StringSplitOptions.RemoveEmptyEntries)) },
                "STOPSIGNAL" => config with { StopSignal = arg },
                _ => throw new ImageException($"--change \"{change}\": {keyword} is not a supported instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)"),
            };
        }
        return config;
    }

    private static string[] Command(string arg) => arg.StartsWith('[') ? JsonList(arg) : ["/bin/sh", "-c", arg];

    private static string[] JsonList(string arg)
    {
        try
        {
            using var doc = JsonDocument.Parse(arg);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new ImageException($"\"{arg}\" is not a JSON array");
            return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ImageException($"\"{arg}\": only strings allowed")).ToArray();
        }
        catch (JsonException e) { throw new ImageException($"\"{arg}\" is not a valid JSON array: {e.Message}"); }
    }

    private static List<(string Key, string Value)> Pairs(string arg, string change)
    {
        var result = new List<(string, string)>();
        if (!arg.Contains('='))
        {
            int space = arg.IndexOf(' ');
            if (space < 0) throw new ImageException($"--change \"{change}\": want KEY=VALUE or KEY VALUE");
            result.Add((arg[..space], arg[(space + 1)..].Trim()));
            return result;
        }
        foreach (var word in SplitQuoted(arg))
        {
            int eq = word.IndexOf('=');
            if (eq <= 0) throw new ImageException($"--change \"{change}\": \"{word}\" is not KEY=VALUE");
            result.Add((word[..eq], word[(eq + 1)..]));
        }
        return result;
    }

    private static IEnumerable<string> SplitQuoted(string s)
    {
        var sb = new System.Text.StringBuilder();
        char quote = '\0';
        foreach (char c in s)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else sb.Append(c); }
            else if (c is '"' or '\'') quote = c;
            else if (c == ' ') { if (sb.Length > 0) { yield return sb.ToString(); sb.Clear(); } }
            else sb.Append(c);
        }
        if (sb.Length > 0) yield return sb.ToString();
    }

    private static string[] MergeEnv(string[]? env, List<(string Key, string Value)> pairs)
    {
        var list = (env ?? []).ToList();
        foreach (var (k, v) in pairs)
        {
            list.RemoveAll(e => e.StartsWith(k + "=", StringComparison.Ordinal));
            list.Add(k + "=" + v);
        }
        return list.ToArray();
    }

    private static Dictionary<string, string> Merge(Dictionary<string, string>? labels, List<(string Key, string Value)> pairs)
    {
        var d = labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);
        foreach (var (k, v) in pairs) d[k] = v;
        return d;
    }

    private static Dictionary<string, JsonElement> AddKeys(Dictionary<string, JsonElement>? map, IEnumerable<string> keys)
    {
        var d = map is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement>(map);
        using var empty = JsonDocument.Parse("{}");
        foreach (var k in keys) d[k] = empty.RootElement.Clone();
        return d;
    }
}
