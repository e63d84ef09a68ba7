using System.CommandLine;
using Berth.Cli.Engine;

namespace Berth.Cli.Containers;

/// <summary>docker rename CONTAINER NEW_NAME.</summary>
public static class RenameCommand
{
    public static Command Build()
    {
        var container = new Argument<string>("CONTAINER");
        var name = new Argument<string>("NEW_NAME");
        var c = new Command("rename", "Rename a container") { container, name };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            ContainerCli.Engine(p).Rename(p.GetValue(container)!, p.GetValue(name)!);
            return 0;
        }));
        return c;
    }
}
