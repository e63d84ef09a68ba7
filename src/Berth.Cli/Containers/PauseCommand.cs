using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker pause / unpause CONTAINER…: the freezer cgroup.</summary>
public static class PauseCommand
{
    public static Command Build(string verb)
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(verb, verb == "pause" ? "Pause all processes within one or more containers" : "Unpause all processes within one or more containers") { names };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                if (verb == "pause") engine.Pause(name); else engine.Unpause(name);
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
