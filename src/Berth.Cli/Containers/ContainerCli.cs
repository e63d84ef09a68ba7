using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Engine;
using Berth.Engine.Containers;
using Berth.Engine.Model;

namespace Berth.Cli.Containers;

/// <summary>What the container commands share: the engine of the global options, errors with docker's exit codes, the JSON of a container.</summary>
public static class ContainerCli
{
    public static ContainerEngine Engine(ParseResult p) => new(EngineCli.Storage(p));

    /// <summary>run, create, start: docker's 125 for the engine's errors, 126/127 for a command that cannot run.</summary>
    public static int GuardStart(Func<int> body) => EngineCli.Guard(body, failure: 125);

    /// <summary>Runs a command once per container named, as docker does: errors go to stderr and give exit 1, the rest goes on.</summary>
    public static int ForEach(IEnumerable<string> references, Action<string> action)
    {
        int status = 0;
        foreach (var r in references)
        {
            int code = EngineCli.Guard(() => { action(r); return 0; });
            if (code != 0) status = 1;
        }
        return status;
    }

    private static readonly JsonSerializerOptions s_options = new(EngineJson.Default.Options) { WriteIndented = true, IndentSize = 4, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly EngineJson s_indented = new(s_options);

    public static JsonNode ToNode(Container c) => JsonSerializer.SerializeToNode(c, EngineJson.Default.Container)!;

    public static string ToIndentedJson(IReadOnlyList<Container> list) => JsonSerializer.Serialize(list.ToList(), s_indented.ListContainer);

    /// <summary>The text of docker's STATUS column.</summary>
    public static string StatusText(Container c)
    {
        var s = c.State;
        var now = DateTime.UtcNow;
        if (s.Status == "removing") return "Removal In Progress";
        if (s.Dead) return "Dead";
        if (s.Restarting) return $"Restarting ({s.ExitCode}) {Formatting.Human.Duration(now - s.FinishedAt)} ago";
        if (s.Running)
        {
            string text = "Up " + Formatting.Human.Duration(now - s.StartedAt);
            if (s.Paused) return text + " (Paused)";
            if (s.Health is { } h) text += h.Status == "starting" ? " (health: starting)" : $" ({h.Status})";
            return text;
        }
        if (s.StartedAt == default && s.FinishedAt == default) return "Created";
        return $"Exited ({s.ExitCode}) {Formatting.Human.Duration(now - s.FinishedAt)} ago";
    }

    /// <summary>docker's State column: created, running, paused, restarting, removing, exited, dead.</summary>
    public static string StateText(Container c) =>
        c.State.Paused ? "paused" : c.State.Restarting ? "restarting" : c.State.Running ? "running" : c.State.Status;
}
