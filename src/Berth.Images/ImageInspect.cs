using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Images.Manifests;
using Berth.Images.Store;

namespace Berth.Images;

/// <summary>An image as `docker image inspect` and the Engine API's /images/{name}/json show it.</summary>
public static class ImageInspect
{
    public static JsonObject Build(ImageService service, ImageRecord image)
    {
        var config = service.ConfigOf(image);
        var c = config.Config ?? new ContainerConfig();
        var lowers = service.LowerDirs(image);
        var result = new JsonObject
        {
            ["Id"] = image.Id,
            ["RepoTags"] = Strings(image.RepoTags.Select(ImageService.Familiar)),
            ["RepoDigests"] = Strings(image.RepoDigests.Select(ImageService.Familiar)),
            ["Parent"] = "",
            ["Comment"] = config.Comment ?? (config.History?.LastOrDefault()?.Comment) ?? "",
            ["Created"] = config.Created?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'") ?? "0001-01-01T00:00:00Z",
            ["DockerVersion"] = config.DockerVersion ?? "",
            ["Author"] = config.Author ?? "",
            ["Config"] = new JsonObject
            {
                ["Hostname"] = c.Hostname ?? "",
                ["Domainname"] = c.Domainname ?? "",
                ["User"] = c.User ?? "",
                ["AttachStdin"] = false,
                ["AttachStdout"] = false,
                ["AttachStderr"] = false,
                ["ExposedPorts"] = Map(c.ExposedPorts),
                ["Tty"] = false,
                ["OpenStdin"] = false,
                ["StdinOnce"] = false,
                ["Env"] = c.Env is null ? null : Strings(c.Env),
                ["Cmd"] = c.Cmd is null ? null : Strings(c.Cmd),
                ["Image"] = "",
                ["Volumes"] = Map(c.Volumes),
                ["WorkingDir"] = c.WorkingDir ?? "",
                ["Entrypoint"] = c.Entrypoint is null ? null : Strings(c.Entrypoint),
                ["OnBuild"] = c.OnBuild is null ? null : Strings(c.OnBuild),
                ["Labels"] = c.Labels is null ? null : new JsonObject(c.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["StopSignal"] = c.StopSignal,
            },
            ["Architecture"] = config.Architecture,
            ["Variant"] = config.Variant,
            ["Os"] = config.Os,
            ["Size"] = image.Size,
            ["VirtualSize"] = image.Size,
            ["GraphDriver"] = new JsonObject
            {
                ["Name"] = service.Storage.Driver,
                ["Data"] = lowers.Count == 0 ? null : new JsonObject
                {
                    ["LowerDir"] = string.Join(':', lowers.Skip(1)) is { Length: > 0 } rest ? rest : null,
                    ["UpperDir"] = lowers[0],
                },
            },
            ["RootFS"] = new JsonObject
            {
                ["Type"] = config.RootFs.Type,
                ["Layers"] = Strings(config.RootFs.DiffIds),
            },
            ["Metadata"] = new JsonObject
            {
                ["LastTagTime"] = image.LastTagTime?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'") ?? "0001-01-01T00:00:00Z",
            },
            ["Descriptor"] = new JsonObject
            {
                ["mediaType"] = image.ManifestMediaType,
                ["digest"] = image.ManifestDigest,
                ["size"] = service.Storage.Content.Has(Content.Digest.Parse(image.ManifestDigest)) ? service.Storage.Content.SizeOf(Content.Digest.Parse(image.ManifestDigest)) : 0,
            },
        };
        // docker leaves these out when empty (omitempty).
        if (string.IsNullOrEmpty(config.Variant)) result.Remove("Variant");
        if (c.StopSignal is null) ((JsonObject)result["Config"]!).Remove("StopSignal");
        return result;
    }

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());

    private static JsonObject? Map(Dictionary<string, JsonElement>? map) =>
        map is null ? null : new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject())));
}
