using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker stop [-t N] [-s SIGNAL] and docker restart [-t N].</summary>
public static class StopCommand
{
    public static Command Build(string verb)
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var time = new Option<int?>("--time", "-t", "--timeout") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var c = new Command(verb, verb == "stop" ? "Stop one or more running containers" : "Restart one or more containers") { names, time };
        if (verb == "stop") c.Options.Add(signal);
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            return ContainerCli.ForEach(p.GetValue(names)!, name =>
            {
                var container = engine.Get(name);
                if (p.GetValue(signal) is { } s) engine.Store.Update(container.Id, x => x.Config.StopSignal = s);
                engine.Stop(container.Id, p.GetValue(time));
                if (verb == "restart")
                {
                    using (engine.Start(container.Id)) { }
                    engine.Events.Container(container, "restart");
                }
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
