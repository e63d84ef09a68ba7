using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker wait CONTAINER…: prints each one's exit code once it stops.</summary>
public static class WaitCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var condition = new Option<string>("--condition") { Description = "not-running, next-exit or removed", DefaultValueFactory = _ => "not-running", Hidden = true };
        var c = new Command("wait", "Block until one or more containers stop, then print their exit codes") { names, condition };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name => Console.WriteLine(engine.Wait(name, p.GetValue(condition)!)));
        });
        return c;
    }
}
