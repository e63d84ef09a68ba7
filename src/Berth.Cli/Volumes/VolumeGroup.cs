using System.CommandLine;

namespace Berth.Cli.Volumes;

/// <summary>docker volume …: create, ls, inspect, rm, prune (local volumes).</summary>
public static class VolumeGroup
{
    public static Command Build()
    {
        var c = new Command("volume", "Manage volumes")
        {
            VolumeCreateCommand.Build(), VolumeLsCommand.Build(), VolumeInspectCommand.Build(),
            VolumeRmCommand.Build(), VolumePruneCommand.Build(),
        };
        c.Subcommands.First(s => s.Name == "ls").Aliases.Add("list");
        c.Subcommands.First(s => s.Name == "rm").Aliases.Add("remove");
        return c;
    }
}
