using System.Text.Json;
using Berth.Engine.Model;
using ImageContainerConfig = Berth.Images.Manifests.ContainerConfig;

namespace Berth.Engine.Containers;

/// <summary>
/// docker's merge of an image's config into a new container's: the image gives what the user did
/// not (Env merged by key, Cmd unless an entrypoint was given, WorkingDir, User, Labels,
/// ExposedPorts, Volumes, StopSignal, Healthcheck).
/// </summary>
public static class ImageDefaults
{
    public static void Apply(ContainerConfig config, ImageContainerConfig? image)
    {
        if (image is null) return;
        var env = new List<string>(image.Env ?? []);
        foreach (var e in config.Env ?? [])
        {
            string key = e.Split('=', 2)[0];
            env.RemoveAll(x => x.Split('=', 2)[0] == key);
            env.Add(e);
        }
        config.Env = env;
        if (config.Entrypoint is null)
        {
            config.Entrypoint = image.Entrypoint?.ToList();
            if (config.Cmd is null or { Count: 0 }) config.Cmd = image.Cmd?.ToList();
        }
        if (config.WorkingDir.Length == 0) config.WorkingDir = image.WorkingDir ?? "";
        if (config.User.Length == 0) config.User = image.User ?? "";
        if (image.Labels is not null)
        {
            var labels = new Dictionary<string, string>(image.Labels);
            foreach (var (k, v) in config.Labels ?? []) labels[k] = v;
            config.Labels = labels;
        }
        if (image.ExposedPorts is not null)
        {
            config.ExposedPorts ??= [];
            foreach (var port in image.ExposedPorts.Keys) config.ExposedPorts.TryAdd(port, new EmptyObject());
        }
        if (image.Volumes is not null)
        {
            config.Volumes ??= [];
            foreach (var path in image.Volumes.Keys) config.Volumes.TryAdd(path, new EmptyObject());
        }
        if (string.IsNullOrEmpty(config.StopSignal) && !string.IsNullOrEmpty(image.StopSignal)) config.StopSignal = image.StopSignal;
        if (image.Healthcheck is { ValueKind: JsonValueKind.Object } hc)
        {
            var fromImage = ReadHealthcheck(hc);
            if (config.Healthcheck is null) config.Healthcheck = fromImage;
            else if (config.Healthcheck.Test is null or { Count: 0 })
            {
                // Flags that only tune timing keep the image's test.
                config.Healthcheck.Test = fromImage.Test;
                if (config.Healthcheck.Interval == 0) config.Healthcheck.Interval = fromImage.Interval;
                if (config.Healthcheck.Timeout == 0) config.Healthcheck.Timeout = fromImage.Timeout;
                if (config.Healthcheck.StartPeriod == 0) config.Healthcheck.StartPeriod = fromImage.StartPeriod;
                if (config.Healthcheck.Retries == 0) config.Healthcheck.Retries = fromImage.Retries;
            }
        }
    }

    private static HealthConfig ReadHealthcheck(JsonElement e)
    {
        var h = new HealthConfig();
        foreach (var p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "Test" when p.Value.ValueKind == JsonValueKind.Array:
                    h.Test = p.Value.EnumerateArray().Select(x => x.GetString() ?? "").ToList();
                    break;
                case "Interval" when p.Value.ValueKind == JsonValueKind.Number: h.Interval = p.Value.GetInt64(); break;
                case "Timeout" when p.Value.ValueKind == JsonValueKind.Number: h.Timeout = p.Value.GetInt64(); break;
                case "StartPeriod" when p.Value.ValueKind == JsonValueKind.Number: h.StartPeriod = p.Value.GetInt64(); break;
                case "StartInterval" when p.Value.ValueKind == JsonValueKind.Number: h.StartInterval = p.Value.GetInt64(); break;
                case "Retries" when p.Value.ValueKind == JsonValueKind.Number: h.Retries = p.Value.GetInt32(); break;
            }
        }
        return h;
    }
}
