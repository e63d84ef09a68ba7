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
            if (!p.GetValue(force))
            {
                Console.Write(p.GetValue(all)
                    ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
                    : "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ");
                string? answer = Console.In.ReadLine();
                if (answer?.Trim().ToLowerInvariant() is not ("y" or "yes")) { Console.WriteLine(); return 0; }
            }
            var result = new ImageService(EngineCli.Storage(p)).Prune(p.GetValue(all));
            if (result.Report.Count > 0)
            {
                Console.WriteLine("Deleted Images:");
                foreach (var line in result.Report) Console.WriteLine(line);
                Console.WriteLine();
            }
            Console.WriteLine($"Total reclaimed space: {Human.Size(result.Reclaimed)}");
            return 0;
        }));
        return c;
    }
}
