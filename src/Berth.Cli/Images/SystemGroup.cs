using System.CommandLine;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Images;

namespace Berth.Cli.Images;

/// <summary>`berth system df`: what the images take on disk (containers and volumes come with the engine).</summary>
public static class SystemGroup
{
    public static Command Build()
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "show details (blobs, partial downloads)" };
        var df = new Command("df", "Show disk usage") { verbose };
        df.SetAction(p => EngineCli.Guard(() =>
        {
            var u = new ImageService(EngineCli.Storage(p)).Usage();
            var t = new TableWriter();
            t.Add("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
            string pct = u.ImagesSize == 0 ? "0%" : $"{u.Reclaimable * 100 / u.ImagesSize}%";
            t.Add("Images", u.Images.ToString(), u.Active.ToString(), Human.Size(u.ImagesSize), $"{Human.Size(u.Reclaimable)} ({pct})");
            t.Add("Containers", "0", "0", "0B", "0B");
            t.Add("Local Volumes", "0", "0", "0B", "0B");
            t.Add("Build Cache", "0", "0", "0B", "0B");
            t.WriteTo(Console.Out);
            if (p.GetValue(verbose))
            {
                Console.WriteLine();
                Console.WriteLine($"Content store: {u.Blobs} blobs, {Human.Size(u.BlobBytes)}; partial downloads {Human.Size(u.Partial)}");
            }
            return 0;
        }));
        return new Command("system", "Manage Berth") { df };
    }
}
