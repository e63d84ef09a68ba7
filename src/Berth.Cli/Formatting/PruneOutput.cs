namespace Berth.Cli.Formatting;

/// <summary>What docker's prune commands share: the confirmation prompt and the report.</summary>
public static class PruneOutput
{
    /// <summary>docker's prompt: anything but y or yes declines.</summary>
    public static bool Confirm(string warning)
    {
        Console.Write(warning + "\nAre you sure you want to continue? [y/N] ");
        string? answer = Console.In.ReadLine();
        if (answer?.Trim().ToLowerInvariant() is "y" or "yes") return true;
        Console.WriteLine();
        return false;
    }

    /// <summary>"Deleted Images:" and its lines (when there are any), then the space reclaimed.</summary>
    public static void Report(string heading, IEnumerable<string> deleted, long reclaimed)
    {
        var lines = deleted.ToList();
        if (lines.Count > 0)
        {
            Console.WriteLine(heading);
            foreach (var line in lines) Console.WriteLine(line);
            Console.WriteLine();
        }
        Console.WriteLine($"Total reclaimed space: {Human.Size(reclaimed)}");
    }
}
