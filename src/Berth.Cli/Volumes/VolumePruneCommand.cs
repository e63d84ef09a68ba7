using System.CommandLine;
using Berth.Cli.Containers;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Options;

namespace Berth.Cli.Volumes;

/// <summary>docker volume prune [-f] [-a] [--filter label=…]: unused anonymous volumes, with -a every unused one (docker 23+).</summary>
public static class VolumePruneCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var filter = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"label=<label>\")" };
        var c = new Command("prune", "Remove unused local volumes") { all, force, filter };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var filters = FilterFlags.Parse(p.GetValue(filter) ?? [], "label", "all");
            bool everything = p.GetValue(all) || filters.Values("all").Any(v => v is "true" or "1");
            string warning = everything
                ? "WARNING! This will remove all local volumes not used by at least one container."
                : "WARNING! This will remove anonymous local volumes not used by at least one container.";
            if (!p.GetValue(force) && !PruneOutput.Confirm(warning)) return 0;
            var report = ContainerCli.Engine(p).PruneVolumes(everything, filters);
            PruneOutput.Report("Deleted Volumes:", report.Deleted, report.Reclaimed);
            return 0;
        }));
        return c;
    }
}
