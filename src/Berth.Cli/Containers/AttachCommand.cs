using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker attach [--no-stdin] [--sig-proxy] CONTAINER: follows a running container; ctrl-p ctrl-q detaches from a tty.</summary>
public static class AttachCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("CONTAINER");
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy all received signals to the process", DefaultValueFactory = _ => true };
        var c = new Command("attach", "Attach local standard input, output, and error streams to a running container") { name, noStdin, sigProxy };
        c.SetAction(p => ContainerCli.GuardStart(() =>
        {
            var engine = ContainerCli.Engine(p);
            var container = engine.Get(p.GetValue(name)!);
            if (!container.State.Running) throw new Berth.Engine.Containers.ContainerException("You cannot attach to a stopped container, start it first", 1);
            if (container.State.Paused) throw new Berth.Engine.Containers.ContainerException("You cannot attach to a paused container, unpause it first", 1);
            bool stdin = container.Config.OpenStdin && !p.GetValue(noStdin);
            bool tty = container.Config.Tty;
            using var session = engine.Attach(container.Id, s => s.Attach(1, tty ? -1 : 2, stdin));
            int code = AttachedStreams.Follow(engine, container.Id, session, tty, stdin, container.State.Pid, p.GetValue(sigProxy));
            return code == AttachedStreams.Detached ? 0 : code;
        }));
        return c;
    }
}
