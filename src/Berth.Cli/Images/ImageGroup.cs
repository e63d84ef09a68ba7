using System.CommandLine;

namespace Berth.Cli.Images;

/// <summary>`berth image …`: docker's image management group, plus podman's mount/unmount.</summary>
public static class ImageGroup
{
    public static Command Build()
    {
        var c = new Command("image", "Manage images")
        {
            PullCommand.Build(), PushCommand.Build(), ImagesCommand.Build("ls"), ImageInspectCommand.Build(),
            HistoryCommand.Build("history"), TagCommand.Build("tag"), RmiCommand.Build("rm"), ImagePruneCommand.Build(),
            SaveCommand.Build("save"), LoadCommand.Build("load"), ImportCommand.Build("import"),
            ImageMountCommand.BuildMount(), ImageMountCommand.BuildUnmount(),
        };
        c.Subcommands.First(s => s.Name == "ls").Aliases.Add("list");
        c.Subcommands.First(s => s.Name == "rm").Aliases.Add("remove");
        c.Subcommands.First(s => s.Name == "unmount").Aliases.Add("umount");
        return c;
    }
}
