using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker rm [-f] [-v] CONTAINER….</summary>
public static class RmCommand
{
    public static Command Build(string verb)
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        var c = new Command(verb, "Remove one or more containers") { names, force, volumes };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                engine.Remove(name, p.GetValue(force), p.GetValue(volumes));
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
