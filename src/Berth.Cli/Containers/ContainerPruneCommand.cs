using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Options;

namespace Berth.Cli.Containers;

/// <summary>docker container prune [-f] [--filter until=…|label=…]: removes every stopped container.</summary>
public static class ContainerPruneCommand
{
    public static Command Build()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"until=<timestamp>\")" };
        var c = new Command("prune", "Remove all stopped containers") { force, filter };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var filters = FilterFlags.Parse(p.GetValue(filter) ?? [], "until", "label");
            if (!p.GetValue(force) && !PruneOutput.Confirm("WARNING! This will remove all stopped containers.")) return 0;
            var report = ContainerCli.Engine(p).PruneContainers(filters);
            PruneOutput.Report("Deleted Containers:", report.Deleted, report.Reclaimed);
            return 0;
        }));
        return c;
    }
}
