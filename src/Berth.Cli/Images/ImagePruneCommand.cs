using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Images;

namespace Berth.Cli.Images;

public static class ImagePruneCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all", "-a") { Description = "remove all unused images, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "do not prompt for confirmation" };
        var c = new Command("prune", "Remove unused images") { all, force };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            if (!p.GetValue(force) && !PruneOutput.Confirm(p.GetValue(all)
                    ? "WARNING! This will remove all images without at least one container associated to them."
                    : "WARNING! This will remove all dangling images.")) return 0;
            var result = new ImageService(EngineCli.Storage(p)).Prune(p.GetValue(all));
            PruneOutput.Report("Deleted Images:", result.Report, result.Reclaimed);
            return 0;
        }));
        return c;
    }
}
