using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker container …: the container commands under one name (run and create go through <see cref="RunCommand"/>).</summary>
public static class ContainerGroup
{
    public static Command Build()
    {
        var c = new Command("container", "Manage containers")
        {
            PsCommand.Build("ls"), StartCommand.Build(), StopCommand.Build("stop"), StopCommand.Build("restart"),
            KillCommand.Build(), RmCommand.Build("rm"), WaitCommand.Build(), PauseCommand.Build("pause"),
            PauseCommand.Build("unpause"), RenameCommand.Build(), LogsCommand.Build(), InspectCommand.Build(containersOnly: true),
            AttachCommand.Build(),
            TopCommand.Build(), PortCommand.Build(), StatsCommand.Build(), UpdateCommand.Build(),
            CpCommand.Build(), DiffCommand.Build(), CommitCommand.Build(), ContainerPruneCommand.Build(),
        };
        c.Subcommands.Last(x => x.Name == "ls").Aliases.Add("ps");
        c.Subcommands.Last(x => x.Name == "ls").Aliases.Add("list");
        return c;
    }
}
