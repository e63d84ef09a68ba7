using System.CommandLine;
using Berth.Cli.Engine;

namespace Berth.Cli.Containers;

/// <summary>docker diff CONTAINER: "A path", "C path", "D path" for what it added, changed and deleted.</summary>
public static class DiffCommand
{
    public static Command Build()
    {
        var container = new Argument<string>("CONTAINER");
        var c = new Command("diff", "Inspect changes to files or directories on a container's filesystem") { container };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            foreach (var change in ContainerCli.Engine(p).Changes(p.GetValue(container)!)) Console.WriteLine(change);
            return 0;
        }));
        return c;
    }
}
