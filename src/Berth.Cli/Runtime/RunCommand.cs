using System.CommandLine;
using Berth.Linux;

namespace Berth.Cli.Runtime;

/// <summary>`run`: create + start, then (without --detach) wait, forward signals, delete, and exit with the container's status.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "detach from the container's process" };
        var keep = new Option<bool>("--keep") { Description = "do not delete the container after it exits" };
        var c = new Command("run", "create and start a container")
        {
            CreateCommand.Bundle, CreateCommand.ConsoleSocket, CreateCommand.PidFile, CreateCommand.NoPivot,
            CreateCommand.NoNewKeyring, CreateCommand.PreserveFds, detach, keep, CreateCommand.Id,
        };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            bool detached = p.GetValue(detach);
            using var proxy = p.GetValue(CreateCommand.ConsoleSocket) is null && !detached ? new TerminalProxy() : null;
            var created = rt.Create(CreateCommand.Options(p, proxy?.ChildEnd ?? -1));
            if (detached)
            {
                rt.Start(created.Id);
                return 0;
            }
            if (created.Terminal && proxy is not null) proxy.Start();
            using var forward = new SignalForwarder(created.Pid);
            try
            {
                rt.Start(created.Id);
            }
            catch
            {
                rt.Delete(created.Id, force: true);
                throw;
            }
            StartupTrace.Mark("run: started");
            int code = Libc.WaitForExit(created.Pid);
            proxy?.DrainOutput();
            StartupTrace.Mark("run: exited");
            if (!p.GetValue(keep)) rt.Delete(created.Id, force: true);
            StartupTrace.Mark("run: deleted");
            return code;
        }));
        return c;
    }
}
