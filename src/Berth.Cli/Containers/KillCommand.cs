using System.CommandLine;
using Berth.Linux;

namespace Berth.Cli.Containers;

/// <summary>docker kill [-s SIGNAL] CONTAINER….</summary>
public static class KillCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var signal = new Option<string>("--signal", "-s") { Description = "Signal to send to the container", DefaultValueFactory = _ => "KILL" };
        var c = new Command("kill", "Kill one or more running containers") { names, signal };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            int sig;
            try { sig = Libc.ParseSignal(p.GetValue(signal)!); }
            catch (ArgumentException e) { Console.Error.WriteLine("Error: " + e.Message); return 1; }
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                engine.Kill(name, sig);
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
