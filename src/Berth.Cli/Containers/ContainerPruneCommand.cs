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
            if (!p.GetValue(force) && !Confirm("WARNING! This will remove all stopped containers.")) return 0;
            var report = ContainerCli.Engine(p).PruneContainers(filters);
            if (report.Deleted.Count > 0)
            {
                Console.WriteLine("Deleted Containers:");
                foreach (var id in report.Deleted) Console.WriteLine(id);
                Console.WriteLine();
            }
            Console.WriteLine($"Total reclaimed space: {Human.Size(report.Reclaimed)}");
            return 0;
        }));
        return c;
    }

    /// <summary>docker's prompt: anything but y or yes declines.</summary>
    public static bool Confirm(string warning)
    {
        Console.Write(warning + "\nAre you sure you want to continue? [y/N] ");
        string? answer = Console.In.ReadLine();
        if (answer?.Trim().ToLowerInvariant() is "y" or "yes") return true;
        Console.WriteLine();
        return false;
    }
}
