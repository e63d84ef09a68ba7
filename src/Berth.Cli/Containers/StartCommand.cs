using System.CommandLine;

namespace Berth.Cli.Containers;

/// <summary>docker start [-a] [-i] CONTAINER…: prints each name as given, or with -a follows the one container.</summary>
public static class StartCommand
{
    public static Command Build()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
        var c = new Command("start", "Start one or more stopped containers") { names, attach, interactive };
        c.SetAction(p =>
        {
            var engine = ContainerCli.Engine(p);
            var list = p.GetValue(names)!;
            if (p.GetValue(attach) || p.GetValue(interactive))
            {
                if (list.Length > 1) { Console.Error.WriteLine("Error: you cannot start and attach multiple containers at once"); return 1; }
                return ContainerCli.GuardStart(() =>
                {
                    var container = engine.Get(list[0]);
                    bool stdin = p.GetValue(interactive) && container.Config.OpenStdin;
                    bool tty = container.Config.Tty;
                    using var session = engine.Start(container.Id, s => s.Attach(1, tty ? -1 : 2, stdin));
                    int code = AttachedStreams.Follow(engine, container.Id, session, tty, stdin, engine.Store.Load(container.Id).State.Pid, sigProxy: true);
                    return code == AttachedStreams.Detached ? 0 : code;
                });
            }
            return ContainerCli.ForEach(list, name =>
            {
                var container = engine.Get(name);
                using (engine.Start(container.Id)) { }
                Console.WriteLine(name);
            });
        });
        return c;
    }
}
