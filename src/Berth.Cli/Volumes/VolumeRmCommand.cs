using System.CommandLine;
using Berth.Cli.Containers;

namespace Berth.Cli.Volumes;

/// <summary>docker volume rm [-f] VOLUME…: a volume a container uses is refused; -f makes a missing one no error.</summary>
public static class VolumeRmCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes" };
        var c = new Command("rm", "Remove one or more volumes") { names, force };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                engine.RemoveVolume(name, p.GetValue(force));
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
